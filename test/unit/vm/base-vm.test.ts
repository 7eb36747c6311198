/**
 * What every VM shares (pure logic, with a stand-in subclass): argument checks before anything runs,
 * a canceled result for an already-aborted signal, what succeed() and fail() accept, closing once, and
 * the errors of a closed or dead VM.
 */
import { describe, expect, test } from 'vitest';
import { VmClosedError, VmCrashedError, VmExecError, VmTimeoutError } from '../../../src/errors.js';
import type { NormalizedExecOptions } from '../../../src/options.js';
import { NO_KERNEL_LOG } from '../../../src/kernel-log/kernel-verdict.js';
import { BaseVm } from '../../../src/vm/base-vm.js';
import type { ExecResult } from '../../../src/vm/exec-result.js';

class StubVm extends BaseVm {
	constructor() {
		super({
			qemuArgv: ['qemu-system-x86_64', '-nodefaults'],
			accel: 'tcg',
			sharedDir: undefined,
			kernel: { path: '/boot/vmlinuz', release: '6.1.0-test', modulesDir: '/lib/modules/6.1.0-test', source: 'test' },
			pid: 4242,
			bootedFrom: 'cold',
			lanAddress: undefined,
			disks: [],
			consoleLog: '[    1.0] booted\n',
			gdb: undefined,
			kernelLog: NO_KERNEL_LOG,
		});
	}

	/** What the next exec ends with. */
	outcome: Partial<ExecResult<string>> = {};
	ran: Array<{ script: string; options: NormalizedExecOptions }> = [];
	shutDowns = 0;
	death: Error | undefined;

	async forwardPort(): Promise<number> {
		return 1234;
	}

	protected async runExec(script: string, options: NormalizedExecOptions): Promise<ExecResult<string | Buffer>> {
		this.ran.push({ script, options });
		return { script, stdout: '', stderr: '', exitCode: 0, durationMs: 1, timedOut: false, isCanceled: false, ...this.outcome };
	}

	protected async shutDown(): Promise<void> {
		this.shutDowns++;
	}

	protected override deathError(): Error | undefined {
		return this.death;
	}
}

describe('BaseVm', () => {
	test('rejects a bad script or bad options with a TypeError before running anything, even when closed', async () => {
		const vm = new StubVm();
		await expect(vm.exec(42 as unknown as string)).rejects.toThrow(TypeError);
		await expect(vm.exec('true', { timeout: -1 })).rejects.toThrow(TypeError);
		await vm.close();
		await expect(vm.exec('a\0b')).rejects.toThrow(TypeError);
		expect(vm.ran).toEqual([]);
	});

	test('passes the checked options to the subclass', async () => {
		const vm = new StubVm();
		await vm.exec('echo hi', { env: { A: '1' }, timeout: 5 });
		expect(vm.ran[0]?.options).toMatchObject({ env: { A: '1' }, timeout: 5, encoding: 'utf8' });
	});

	test('resolves as canceled, without running, when the signal is already aborted', async () => {
		const vm = new StubVm();
		const signal = AbortSignal.abort();
		expect(await vm.exec('true', { signal })).toEqual({
			script: 'true',
			stdout: '',
			stderr: '',
			exitCode: undefined,
			durationMs: 0,
			timedOut: false,
			isCanceled: true,
		});
		expect((await vm.exec('true', { signal, encoding: 'buffer' })).stdout).toEqual(Buffer.alloc(0));
		await expect(vm.succeed('true', { signal })).rejects.toThrow(VmTimeoutError);
		expect(vm.ran).toEqual([]);
	});

	test('succeed() accepts exit code 0 only, fail() anything else, and both reject a timed-out command', async () => {
		const vm = new StubVm();
		await expect(vm.succeed('true')).resolves.toMatchObject({ exitCode: 0 });
		await expect(vm.fail('true')).rejects.toThrow(VmExecError);
		vm.outcome = { exitCode: 3, stderr: 'bad\n' };
		const error: unknown = await vm.succeed('false').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmExecError);
		expect(error).toMatchObject({ exitCode: 3, stderr: 'bad\n', consoleLog: '[    1.0] booted\n', qemuArgv: vm.qemuArgv });
		await expect(vm.fail('false')).resolves.toMatchObject({ exitCode: 3 });
		vm.outcome = { exitCode: 137, timedOut: true };
		await expect(vm.succeed('sleep 9')).rejects.toThrow(VmTimeoutError);
		await expect(vm.fail('sleep 9')).rejects.toThrow(VmTimeoutError);
	});

	test('shuts down once however often it is closed, then rejects execs with a VmClosedError that says what to do', async () => {
		const vm = new StubVm();
		expect(vm.closed).toBe(false);
		await Promise.all([vm.close(), vm.close()]);
		await vm[Symbol.asyncDispose]();
		expect(vm.shutDowns).toBe(1);
		expect(vm.closed).toBe(true);
		await expect(vm.exec('true')).rejects.toThrow(VmClosedError);
		await expect(vm.succeed('true')).rejects.toThrow(/^This VM was closed: start a new one with startVm\(\)/);
	});

	test('rejects execs with the reason a dead VM died', async () => {
		const vm = new StubVm();
		vm.death = new VmCrashedError('The VM crashed: the guest kernel panicked.');
		expect(vm.closed).toBe(true);
		await expect(vm.exec('true')).rejects.toBe(vm.death);
	});
});
