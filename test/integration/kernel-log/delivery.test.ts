/**
 * The guest's kernel log reaching the host as records (init.sh's kernel log block, runner.sh's exec
 * markers, src/kernel-log/), with a real module that makes the kernel report splats on demand
 * (test/fixtures/splat-module, built here against the booted kernel's headers): a WARN during an exec is
 * charged to it; records keep coming in a VM restored from a snapshot and after a long idle; a splat of a
 * background process between two execs is charged to none.
 */
import { execFile } from 'node:child_process';
import { copyFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';
import { findKernel } from '../../../src/kernel/kernel.js';
import { KernelLogStream, type ExecRecord } from '../../../src/kernel-log/kernel-log-stream.js';
import { newFailingTaint } from '../../../src/kernel-log/taint.js';
import { leftovers, workspaceOf } from '../../helpers/vm-leaks.js';
import { within } from '../../helpers/within.js';

const MODULE_SOURCE = fileURLToPath(new URL('../../fixtures/splat-module/', import.meta.url));
/** A record written by the host's side, or by the guest, is on the host well within this (measured: ~0.1 s). */
const ARRIVAL_MS = 5000;

let build: DirectoryResult;
let cache: DirectoryResult;
let ko: string;
let vm: Vm | undefined;
let stream: KernelLogStream | undefined;

beforeAll(async () => {
	const kernel = await findKernel({});
	build = await dir({ unsafeCleanup: true, prefix: 'vm-exec-splat-module-' });
	cache = await dir({ unsafeCleanup: true, prefix: 'vm-exec-kernel-log-cache-' });
	await cp(MODULE_SOURCE, build.path, { recursive: true, filter: (source) => !source.endsWith('.ts') });
	await promisify(execFile)('make', ['-C', build.path, `KERNEL_RELEASE=${kernel.release}`], { timeout: 60_000 });
	ko = path.join(build.path, 'vm_exec_splat.ko');
}, 70_000);
afterAll(async () => {
	await build?.cleanup();
	await cache?.cleanup();
});
afterEach(async () => {
	await stream?.close();
	await vm?.close();
	if (vm) expect(leftovers(vm)).toEqual([]);
	vm = undefined;
	stream = undefined;
});

/** A VM with the module loaded (debugfs mounted), and a stream on its exchange dir's kmsg. */
async function startWithModule(): Promise<{ vm: Vm; stream: KernelLogStream }> {
	vm = await startVm({ shared: true, cacheDir: cache.path });
	stream = new KernelLogStream({ path: path.join(workspaceOf(vm), 'xchg', 'kmsg') });
	await copyFile(ko, path.join(vm.sharedDir!, 'vm_exec_splat.ko'));
	await vm.succeed(
		'{ mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug; } && insmod /tmp/shared/vm_exec_splat.ko',
	);
	return { vm, stream };
}

/** The record with this text, once it has arrived (bounded). */
async function arrived(log: KernelLogStream, text: string): Promise<ExecRecord> {
	const end = Date.now() + ARRIVAL_MS;
	for (;;) {
		await log.readNow();
		const record = log.records().find((candidate) => candidate.text === text);
		if (record) return record;
		if (Date.now() > end) throw new Error(`the record "${text}" did not reach the host within ${ARRIVAL_MS} ms`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

describe('the kernel log on the host', () => {
	it('charges a WARN to the exec during which it was logged, with its records and the taint after it', async () => {
		const started = await startWithModule();
		expect(started.vm.bootedFrom).toBe('cold');
		await started.vm.succeed('echo "<6>vmx-test: warn" >/dev/kmsg; echo 1 >/sys/kernel/debug/vmx_splat/warn');
		const tag = await arrived(started.stream, 'vmx-test: warn');
		expect(tag.execIds).toHaveLength(1);
		const id = tag.execIds[0]!;
		expect(await within(ARRIVAL_MS + 1000, started.stream.waitForExecEnd(id, { ms: ARRIVAL_MS }), 'waitForExecEnd')).toBe(true);

		const [report, ...others] = started.stream.execReports(id);
		expect(others).toEqual([]);
		expect(report).toMatchObject({
			kind: 'WARNING',
			message: 'vm_exec_splat: deliberate warning',
			module: 'vm_exec_splat',
			rip: { symbol: 'vmx_splat_warn', module: 'vm_exec_splat' },
			taint: 'OE',
			execIds: [id],
		});
		expect(report!.callTrace[0]).toMatchObject({ symbol: 'vmx_splat_write', module: 'vm_exec_splat' });
		expect(started.stream.execRecords(id).map((record) => record.text)).toContain('---[ end trace 0000000000000000 ]---');
		// The boot's own records came too (logged before the agent's reader started), and no marker is a record.
		expect(started.stream.records()[0]).toMatchObject({ seq: 0, execIds: [] });
		expect(started.stream.records()[0]!.text).toMatch(/^Linux version /);
		expect(started.stream.records().filter((record) => record.text.startsWith('vm-exec:'))).toEqual([]);
		expect(started.stream.losses.lost).toBe(0);
		// The taint: O and E from the insmod before, W new (a failure).
		const span = started.stream.execSpan(id)!;
		expect(span.taintBefore).toBe(4096 + 8192);
		expect(newFailingTaint(span.taintBefore!, span.taintAfter!).map((flag) => flag.letter)).toEqual(['W']);
		expect(started.stream.taint).toBe(span.taintAfter);
	});

	it('keeps delivering in a VM restored from a snapshot of the same options', async () => {
		const started = await startWithModule();
		expect(started.vm.bootedFrom).toBe('snapshot');
		await started.vm.succeed('echo "<6>vmx-test: restored" >/dev/kmsg; echo 1 >/sys/kernel/debug/vmx_splat/warn');
		const tag = await arrived(started.stream, 'vmx-test: restored');
		expect(await started.stream.waitForExecEnd(tag.execIds[0]!, { ms: ARRIVAL_MS })).toBe(true);
		expect(started.stream.execReports(tag.execIds[0]!).map((report) => report.kind)).toEqual(['WARNING']);
		// The taint reader answers in a restored VM too: O and E from the insmod, W from the WARN.
		expect(started.stream.taint).toBe(4096 + 8192 + 512);
		// The records logged before the snapshot point (the boot) are here as well, once each.
		const seqs = started.stream.records().map((record) => record.seq);
		expect(seqs[0]).toBe(0);
		expect(new Set(seqs).size).toBe(seqs.length);
	});

	it('delivers the records of a first exec that follows a long idle', async () => {
		vm = await startVm({ cacheDir: cache.path });
		stream = new KernelLogStream({ path: path.join(workspaceOf(vm), 'xchg', 'kmsg') });
		await new Promise((resolve) => setTimeout(resolve, 15_000));
		await vm.succeed('echo "<4>vmx-test: after idle" >/dev/kmsg');
		const tag = await arrived(stream, 'vmx-test: after idle');
		expect(tag).toMatchObject({ level: 4, facility: 1 });
		expect(tag.execIds).toHaveLength(1);
	}, 60_000);

	it('charges the splat of a background process logged between two execs to none', async () => {
		const started = await startWithModule();
		// The exec ends at once; its background process writes a second later, after the exec's end marker.
		await started.vm.succeed('(sleep 1; echo 1 >/sys/kernel/debug/vmx_splat/warn) >/dev/null 2>&1 &');
		const mark = started.stream.mark();
		const end = Date.now() + 10_000;
		while (started.stream.reportsSince(mark).length === 0) {
			if (Date.now() > end) throw new Error('the background WARN did not reach the host within 10 s');
			await new Promise((resolve) => setTimeout(resolve, 50));
			await started.stream.readNow();
		}
		await started.vm.succeed('echo "<6>vmx-test: next" >/dev/kmsg');
		const next = await arrived(started.stream, 'vmx-test: next');
		const [report] = started.stream.reportsSince(mark);
		expect(report).toMatchObject({ kind: 'WARNING', module: 'vm_exec_splat', execIds: [] });
		expect(started.stream.execReports(next.execIds[0]!)).toEqual([]);
	});
});
