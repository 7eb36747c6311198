import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInVm, startVm, VmBootError, VmClosedError, VmCrashedError } from '../../../src/index.js';
import { isProcessAlive, leftovers, startVmClosedAfterEach, workspaceOf } from '../../helpers/vm-leaks.js';

describe('startVm and close', () => {
	const startVm = startVmClosedAfterEach();

	it('removes the QEMU process, sockets and temp dirs on close, and close is idempotent', async () => {
		const vm = await startVm({ shared: true });
		const workspace = workspaceOf(vm);
		const sharedDir = vm.sharedDir!;
		expect(isProcessAlive(vm.pid)).toBe(true);
		expect(existsSync(path.join(workspace, 'xchg'))).toBe(true);
		await Promise.all([vm.close(), vm.close()]);
		await vm.close();
		expect(leftovers(vm)).toEqual([]);
		expect(existsSync(sharedDir)).toBe(false);
	});

	it('closes with `await using`', async () => {
		let pid: number | undefined;
		{
			await using vm = await startVm();
			pid = vm.pid;
			await vm.succeed('true');
		}
		expect(isProcessAlive(pid)).toBe(false);
	});

	it('rejects an exec after close with a VmClosedError that says what to do', async () => {
		const vm = await startVm();
		await vm.close();
		await expect(vm.exec('true')).rejects.toThrow(VmClosedError);
		await expect(vm.exec('true')).rejects.toThrow(/This VM was closed: start a new one/);
	});

	it('rejects a running exec when the VM is closed under it', async () => {
		const vm = await startVm();
		const outcome = vm.exec('sleep 60').catch((error: unknown) => error);
		await new Promise((resolve) => setTimeout(resolve, 300));
		await vm.close();
		expect(await outcome).toBeInstanceOf(VmClosedError);
		expect(leftovers(vm)).toEqual([]);
	});

	it('reports a kernel panic as VmCrashedError with the console tail, and cleans up', async () => {
		const vm = await startVm();
		const error: unknown = await vm.exec('echo c >/proc/sysrq-trigger; sleep 60').catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmCrashedError);
		expect((error as VmCrashedError).message).toMatch(/^The VM crashed: the guest kernel panicked/);
		expect((error as VmCrashedError).consoleLog).toContain('Kernel panic');
		expect(vm.consoleLog).toContain('sysrq triggered crash');
		await expect(vm.exec('true')).rejects.toThrow(VmCrashedError);
		await vm.close();
		expect(leftovers(vm)).toEqual([]);
	});
});

describe('boot failures', () => {
	it("rejects with VmBootError carrying QEMU's message and argv when QEMU refuses its arguments", async () => {
		const error: unknown = await startVm({ qemuArgs: ['-no-such-option'] }).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmBootError);
		expect((error as VmBootError).message).toMatch(/^QEMU exited \(code 1\) before the guest started/);
		expect((error as VmBootError).qemuStderr).toContain('-no-such-option');
		expect((error as VmBootError).qemuArgv).toContain('-no-such-option');
		expect((error as VmBootError).exitCode).toBe(1);
	});

	it('rejects with VmBootError within bootTimeout when the guest is not ready in time', async () => {
		const started = Date.now();
		const error: unknown = await startVm({ bootTimeout: 300 }).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmBootError);
		expect((error as Error).message).toMatch(
			/^The VM did not finish booting within 300 ms \((the guest never said it was (ready|up)|loading its snapshot took all of it)\)\. Raise `bootTimeout`/,
		);
		expect(Date.now() - started).toBeLessThan(30_000);
	});

	it("says where the guest's CPUs are when a boot runs out of time, to tell a hang from a slow machine", async () => {
		const error: unknown = await startVm({ snapshot: false, bootTimeout: 1500 }).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmBootError);
		expect((error as Error).message).toMatch(/\nQEMU's view: the VM is running; CPU 0 at RIP [0-9a-f]{16}( \(halted\))?\./);
	});

	it('names the kernel file and the fix when the kernel does not exist', async () => {
		await expect(startVm({ kernel: '/nonexistent/vmlinuz' })).rejects.toThrow(
			'The kernel /nonexistent/vmlinuz (from the `kernel` option) does not exist. Point it at a kernel image such as /boot/vmlinuz-<release>.',
		);
	});

	it('names the directory when the modules directory does not match the kernel', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'vm-exec-modules-'));
		try {
			await expect(startVm({ modules: dir })).rejects.toThrow(`The modules directory ${dir} has no modules.dep.`);
		} finally {
			rmSync(dir, { recursive: true });
		}
	});

	it('rejects a shared directory that does not exist, before booting', async () => {
		await expect(startVm({ shared: '/nonexistent/shared' })).rejects.toThrow(
			/Expected the `shared` option to be an existing host directory, got `\/nonexistent\/shared` \(it does not exist\)/,
		);
	});

	it('aborts the boot when its signal is aborted', async () => {
		const controller = new AbortController();
		const pending = startVm({ signal: controller.signal });
		setTimeout(() => controller.abort(new Error('test aborted')), 200);
		await expect(pending).rejects.toThrow('test aborted');
	});
});

describe('shared directory', () => {
	it('mounts a host directory read-write at /tmp/shared', async () => {
		const dir = mkdtempSync(path.join(os.tmpdir(), 'vm-exec-shared-'));
		try {
			await using vm = await startVm({ shared: dir });
			await vm.succeed('echo from-guest >/tmp/shared/out.txt');
			expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('from-guest\n');
			expect(vm.sharedDir).toBe(dir);
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe('runInVm', () => {
	it('boots, runs one script and powers off, resolving its result', async () => {
		const result = await runInVm('echo one-shot; exit 5', { memory: '192M' });
		expect(result).toMatchObject({ stdout: 'one-shot\n', exitCode: 5 });
	});
});
