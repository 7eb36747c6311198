/**
 * The kernel's verdict as startVm() users and the one-shot CLI see it, with a real module that makes the
 * kernel report splats on demand (test/fixtures/splat-module, built here against the booted kernel's
 * headers): each exec's result carries the reports logged during it and the taint it set; `kernelReports:
 * 'fail'` makes the exec reject with a VmKernelError; `vm.expectKernelReport()` and the matchers acknowledge
 * what a test triggers on purpose; the CLI prints a notice, and exits 71 with `--kernel-reports=fail`.
 */
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VmError, VmKernelError, type Vm } from '../../../src/index.js';
import { EXIT_CODES } from '../../../src/cli/exit-codes.js';
import { taintChange } from '../../../src/kernel-log/kernel-verdict.js';
import { vmMatchers } from '../../../src/test-runners/matchers.js';
import { assertCliBuilt, runCli } from '../../helpers/built-cli.js';
import { buildSplatModule, type BuiltSplatModule, BUILD_TIMEOUT_MS, loadSplatModule } from '../../helpers/splat-module.js';
import { leftovers, startVmClosedAfterEach } from '../../helpers/vm-leaks.js';
import { within } from '../../helpers/within.js';

expect.extend(vmMatchers);

const startVm = startVmClosedAfterEach();
let splat: BuiltSplatModule;
let vm: Vm | undefined;

beforeAll(async () => {
	assertCliBuilt();
	splat = await buildSplatModule();
}, BUILD_TIMEOUT_MS + 10_000);
afterAll(async () => {
	await splat?.cleanup();
});
afterEach(async () => {
	await vm?.close();
	if (vm) expect(leftovers(vm)).toEqual([]);
	vm = undefined;
});

/** A VM with the module in its shared dir (the host's /tmp is hidden under the guest's own). */
async function startWithModule(options: Parameters<typeof startVm>[0] = {}): Promise<{ vm: Vm; ko: string }> {
	vm = await startVm({ shared: true, ...options });
	await copyFile(splat.ko, path.join(vm.sharedDir!, 'vm_exec_splat.ko'));
	return { vm, ko: '/tmp/shared/vm_exec_splat.ko' };
}

describe('the kernel verdict of an exec', () => {
	it("puts a WARN at a module's init on the insmod's result: the report, its module and trace, and the new W taint", async () => {
		const { vm, ko } = await startWithModule();
		const result = await vm.exec(
			`{ mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug; } && insmod ${ko} warn_on_load=1 && echo loaded`,
		);
		expect(result.stdout).toBe('loaded\n');
		expect(result.kernelReports).toHaveLength(1);
		expect(result.kernelReports![0]).toMatchObject({ kind: 'WARNING', module: 'vm_exec_splat', rip: { symbol: 'vmx_splat_init' } });
		expect(result.kernelReports![0]!.callTrace.some((frame) => frame.symbol === 'do_one_initcall')).toBe(true);
		// The taint after the exec comes a moment after its result; sync() waits for it. The module's own load
		// sets O and E (not failures); the WARN sets W (a failure).
		await vm.kernelLog.sync();
		expect(vm.kernelLog.taint).toBe(4096 + 8192 + 512);
		const taint = taintChange(result.taint!.before, vm.kernelLog.taint);
		expect(taint.added.map((flag) => flag.letter).sort()).toEqual(['E', 'O', 'W']);
		expect(taint.failing.map((flag) => flag.letter)).toEqual(['W']);
		expect(vm.kernelLog.reports.map((report) => report.kind)).toEqual(['WARNING']);
		// A later exec that logs nothing has none, and no new taint.
		const quiet = await vm.exec('true');
		expect(quiet.kernelReports).toEqual([]);
		await vm.kernelLog.sync();
		expect(taintChange(quiet.taint!.before, vm.kernelLog.taint).added).toEqual([]);
	});

	it("rejects the exec with a VmKernelError that names the report under kernelReports: 'fail'", async () => {
		const { vm, ko } = await startWithModule({ kernelReports: 'fail' });
		await loadSplatModule(vm, ko);
		const error: unknown = await vm.exec('echo 1 >/sys/kernel/debug/vmx_splat/warn').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmKernelError);
		expect(error).toMatchObject({ exitCode: 0, reports: [{ kind: 'WARNING', module: 'vm_exec_splat' }], failingTaint: [{ letter: 'W' }] });
		expect((error as Error).message).toMatch(
			/^The guest kernel reported a problem while this command ran in the VM: echo 1 >\/sys\/kernel\/debug\/vmx_splat\/warn\n/,
		);
		expect((error as Error).message).toMatch(/vm_exec_splat: deliberate warning/);
		// An exec that logs nothing still resolves.
		await expect(vm.exec('true')).resolves.toMatchObject({ exitCode: 0 });
	});

	it('reports a NULL dereference in a debugfs write handler: the writing shell dies, the oops names the module and the handler', async () => {
		const { vm, ko } = await startWithModule();
		await loadSplatModule(vm, ko);
		const result = await vm.exec('echo 1 >/sys/kernel/debug/vmx_splat/null; echo survived');
		expect(result.exitCode).not.toBe(0);
		expect(result.stdout).not.toContain('survived');
		expect(result.kernelReports![0]).toMatchObject({
			kind: 'BUG',
			title: 'BUG: kernel NULL pointer dereference, address: 0000000000000000',
			module: 'vm_exec_splat',
			rip: { symbol: 'vmx_splat_null', module: 'vm_exec_splat' },
		});
		await vm.kernelLog.sync();
		expect(taintChange(result.taint!.before, vm.kernelLog.taint).failing.map((flag) => flag.letter)).toContain('D');
		// The VM goes on.
		await expect(vm.succeed('echo alive')).resolves.toMatchObject({ stdout: 'alive\n' });
	});

	it('reports a refcount_t underflow', async () => {
		const { vm, ko } = await startWithModule();
		await loadSplatModule(vm, ko);
		const result = await vm.exec('echo 1 >/sys/kernel/debug/vmx_splat/refcount');
		expect(result.kernelReports).toMatchObject([{ kind: 'refcount_t', title: 'refcount_t: underflow; use-after-free.' }]);
	});

	it("gives a module's pr_info lines as records, not as reports, and the matchers find them", async () => {
		const { vm, ko } = await startWithModule();
		await loadSplatModule(vm, ko);
		const result = await vm.exec('echo 1 >/sys/kernel/debug/vmx_splat/info');
		expect(result.kernelReports).toEqual([]);
		expect(result).toHaveKernelLog(/vm_exec_splat: hello from the module/);
		expect(vm).toHaveKernelLog('vm_exec_splat: hello from the module');
		expect(vm).not.toHaveKernelLog(/no such line/);
		expect(result.kernelLog!.find((record) => record.text.includes('hello from the module'))).toMatchObject({ level: 6, facility: 0 });
	});

	it('acknowledges a report a test expects, and rejects in time when none comes', async () => {
		const { vm, ko } = await startWithModule();
		await loadSplatModule(vm, ko);
		await vm.exec('echo 1 >/sys/kernel/debug/vmx_splat/warn');
		const report = await within(6000, vm.expectKernelReport(/deliberate warning/, { kind: 'WARNING' }), 'expectKernelReport');
		expect(report).toMatchObject({ kind: 'WARNING', module: 'vm_exec_splat' });
		expect(vm.kernelLog.isAcknowledged(report)).toBe(true);
		// Acknowledged once: a second expectation of the same report waits and fails.
		const missing: unknown = await within(
			3000,
			vm.expectKernelReport(/deliberate warning/, { timeout: 500 }).catch((error: unknown) => error),
			'expectKernelReport',
		);
		expect(missing).toBeInstanceOf(VmError);
		expect((missing as Error).message).toMatch(
			/^Expected the guest kernel to log a kernel report matching \/deliberate warning\/ within 500 ms/,
		);
		// The matcher acknowledges too.
		await vm.exec('echo 1 >/sys/kernel/debug/vmx_splat/refcount');
		expect(vm).toHaveLoggedKernelReport('refcount_t', /underflow/);
		expect(vm).not.toHaveLoggedKernelReport('refcount_t');
	});
});

describe('the kernel verdict of the one-shot CLI', () => {
	it('prints a notice on stderr when the kernel reported a problem, and exits 71 with --kernel-reports=fail', async () => {
		const script =
			'{ mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug; } && insmod ./vm_exec_splat.ko warn_on_load=1 && echo loaded';
		// The module's build dir is the working directory: the guest sees it at the same path.
		const noticed = await runCli(['--quiet', script], { cwd: splat.dir, timeout: 90_000 });
		expect(noticed.exitCode).toBe(0);
		expect(Buffer.from(noticed.stdout as Uint8Array).toString()).toBe('loaded\n');
		expect(Buffer.from(noticed.stderr as Uint8Array).toString()).toMatch(
			/^vm-exec: the guest kernel reported a problem while the script ran/m,
		);
		expect(Buffer.from(noticed.stderr as Uint8Array).toString()).toMatch(/WARNING: .*vmx_splat_init/);
		const failed = await runCli(['--quiet', '--kernel-reports=fail', script], { cwd: splat.dir, timeout: 90_000 });
		expect(failed.exitCode).toBe(EXIT_CODES.kernelReport);
		expect(Buffer.from(failed.stderr as Uint8Array).toString()).toMatch(/\(exit status 71; the script itself exited with 0\)/);
		const ignored = await runCli(['--quiet', '--kernel-reports=ignore', script], { cwd: splat.dir, timeout: 90_000 });
		expect(ignored.exitCode).toBe(0);
		expect(Buffer.from(ignored.stderr as Uint8Array).toString()).toBe('');
		const wrong = await runCli(['--kernel-reports=maybe', 'true'], { timeout: 30_000 });
		expect(wrong.exitCode).toBe(EXIT_CODES.usage);
		expect(Buffer.from(wrong.stderr as Uint8Array).toString()).toMatch(
			/Expected `--kernel-reports` to be fail, report or ignore, got `maybe`/,
		);
	}, 300_000);
});
