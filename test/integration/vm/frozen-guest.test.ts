/**
 * A guest that stops answering: QEMU stopped with SIGSTOP, and a real kernel module that freezes the
 * guest's only CPU when it is loaded (test/fixtures/freeze-module, built here against the booted kernel's
 * headers). Every call must settle within its documented bound, and the error must say what happened.
 * Each case freezes its VM for good, so each has its own.
 */
import { execFile } from 'node:child_process';
import { copyFile, cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { execa } from 'execa';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm, VmError, VmUnresponsiveError } from '../../../src/index.js';
import { findKernel } from '../../../src/kernel/kernel.js';
import { KILL_GRACE_MS } from '../../../src/vm/guest-execs.js';
import { PING_INTERVAL_MS, UNRESPONSIVE_AFTER_MS } from '../../../src/vm/liveness.js';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { leftovers } from '../../helpers/vm-leaks.js';
import { assertCliBuilt, runCli } from '../../helpers/built-cli.js';
import { within } from '../../helpers/within.js';

const MODULE_SOURCE = fileURLToPath(new URL('../../fixtures/freeze-module/', import.meta.url));
/** The documented bound for a call without a timeout: the silence bound, a ping interval, and a second to gather the evidence. */
const UNRESPONSIVE_BOUND_MS = UNRESPONSIVE_AFTER_MS + PING_INTERVAL_MS + 1000;

let vm: Vm | undefined;
afterEach(async () => {
	await vm?.close();
	if (vm) expect(leftovers(vm)).toEqual([]);
	vm = undefined;
});

describe('a QEMU stopped with SIGSTOP', () => {
	it('settles an exec with a timeout and forwardPort() on time, rejects an exec without timeout as unresponsive, and closes at once', async () => {
		vm = await startVm({ network: true });
		process.kill(vm.pid!, 'SIGSTOP');

		const forwarding = vm.forwardPort(80).catch((error: unknown) => error);
		const timedOut = await within(3000 + KILL_GRACE_MS + 500, vm.exec('echo hi', { timeout: 3000 }), 'exec with timeout: 3000');
		expect(timedOut).toMatchObject({ timedOut: true, exitCode: undefined, stdout: '' });
		const refused = await within(6000, forwarding, 'forwardPort()');
		expect(refused).toBeInstanceOf(VmError);
		expect((refused as Error).message).toMatch(/QEMU's monitor did not answer/);

		const error = await within(
			UNRESPONSIVE_BOUND_MS,
			vm.exec('echo hi').catch((error: unknown) => error),
			'exec without a timeout',
		);
		expect(error).toBeInstanceOf(VmUnresponsiveError);
		expect(error).toMatchObject({ qemuState: 'stopped', lastCommand: 'echo hi' });
		expect((error as Error).message).toMatch(/^The guest stopped answering: QEMU's process \d+ is stopped/);
		// Later calls fail at once with the same error.
		await expect(within(1000, vm.exec('true'), 'a later exec')).rejects.toBe(error);

		await within(2000, vm.close(), 'close()');
	});

	it('settles an aborted exec on time', async () => {
		vm = await startVm();
		process.kill(vm.pid!, 'SIGSTOP');
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 500);
		const result = await within(500 + KILL_GRACE_MS + 500, vm.exec('sleep 60', { signal: controller.signal }), 'aborted exec');
		expect(result).toMatchObject({ isCanceled: true, exitCode: undefined });
	});
});

describe('a kernel module that freezes the guest when it is loaded', () => {
	let build: DirectoryResult;
	let ko: string;

	beforeAll(async () => {
		const kernel = await findKernel({});
		build = await dir({ unsafeCleanup: true, prefix: 'vm-exec-freeze-module-' });
		await cp(MODULE_SOURCE, build.path, { recursive: true });
		await promisify(execFile)('make', ['-C', build.path, `KERNEL_RELEASE=${kernel.release}`]);
		ko = path.join(build.path, 'vm_exec_freeze.ko');
	}, 60_000);
	afterAll(async () => {
		await build?.cleanup();
	});

	/** A VM that sees the module at /tmp/shared/vm_exec_freeze.ko. */
	async function startWithModule(): Promise<Vm> {
		const started = await startVm({ shared: true });
		await copyFile(ko, path.join(started.sharedDir!, 'vm_exec_freeze.ko'));
		return started;
	}

	it('reports a soft lockup: the insmod rejects as unresponsive, naming the lockup and the module function', async () => {
		vm = await startWithModule();
		const error = await within(
			UNRESPONSIVE_BOUND_MS,
			vm.exec('insmod /tmp/shared/vm_exec_freeze.ko').catch((error: unknown) => error),
			'insmod',
		);
		expect(error).toBeInstanceOf(VmUnresponsiveError);
		const unresponsive = error as VmUnresponsiveError;
		expect(unresponsive).toMatchObject({ qemuState: 'running', lastCommand: 'insmod /tmp/shared/vm_exec_freeze.ko' });
		expect(unresponsive.kernelReports.join('\n')).toMatch(/BUG: soft lockup - CPU#0 stuck/);
		expect(unresponsive.kernelReports.join('\n')).toMatch(/RIP: 0010:vm_exec_freeze_spin\+0x[0-9a-f]+\/0x[0-9a-f]+ \[vm_exec_freeze\]/);
		expect(unresponsive.vcpus).toEqual([
			expect.objectContaining({ cpu: 0, where: 'in a loadable module', halted: false, interruptsOff: false }),
		]);
		expect(unresponsive.message).toMatch(/CPU 0 at [0-9a-f]{16} in a loadable module, running/);
	});

	it('finds a CPU spinning with interrupts off, which the kernel cannot report, from QEMU', async () => {
		vm = await startWithModule();
		const error = await within(
			UNRESPONSIVE_BOUND_MS,
			vm.exec('insmod /tmp/shared/vm_exec_freeze.ko irqs_off=1').catch((error: unknown) => error),
			'insmod',
		);
		expect(error).toBeInstanceOf(VmUnresponsiveError);
		const unresponsive = error as VmUnresponsiveError;
		expect(unresponsive.vcpus).toEqual([expect.objectContaining({ cpu: 0, where: 'in a loadable module', interruptsOff: true })]);
		expect(unresponsive.message).toMatch(/CPU 0 at [0-9a-f]{16} in a loadable module, running with interrupts off/);
		expect(unresponsive.consoleLog).toMatch(/vm_exec_freeze: freezing this CPU with preemption and interrupts off/);
	});
});

describe('vm-exec (the CLI)', () => {
	it(`reports a guest that stops answering on stderr and exits ${EXIT_CODES.unresponsive}`, async () => {
		assertCliBuilt();
		const child = runCli(['echo started; sleep 600'], { buffer: false });
		try {
			await within(60_000, new Promise<void>((resolve) => child.stdout?.once('data', () => resolve())), 'the script start');
			const { stdout: children } = await execa('pgrep', ['-P', String(child.pid)], { reject: false });
			const qemuPids = children.split('\n').filter(Boolean).map(Number);
			expect(qemuPids.length).toBeGreaterThan(0);
			for (const pid of qemuPids) process.kill(pid, 'SIGSTOP');
			const stderr: Buffer[] = [];
			child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
			const result = await within(UNRESPONSIVE_BOUND_MS + 3000, child, 'vm-exec');
			expect(result.exitCode).toBe(EXIT_CODES.unresponsive);
			expect(Buffer.concat(stderr).toString()).toMatch(/^vm-exec: The guest stopped answering: QEMU's process \d+ is stopped/m);
			for (const pid of qemuPids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
		} finally {
			child.kill('SIGKILL');
		}
	});
});
