import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';
import { isProcessAlive, leftovers, workspaceOf } from '../../helpers/vm-leaks.js';

const DIST = path.resolve('dist/index.js');

/** A full garbage collection, so heap sizes before and after compare live objects only. */
function collectGarbage(): void {
	v8.setFlagsFromString('--expose-gc');
	(runInNewContext('gc') as () => void)();
}

/** A separate Node process that starts a VM, prints its QEMU pid and workspace, then idles. */
function startRunner(env: Record<string, string> = {}) {
	const child = execa(
		'node',
		[
			'--input-type=module',
			'-e',
			`
		import { startVm } from ${JSON.stringify(DIST)};
		const vm = await startVm();
		const control = vm.qemuArgv.find((arg) => arg.startsWith('socket,id=control,path='));
		console.log(JSON.stringify({ pid: vm.pid, workspace: control.slice('socket,id=control,path='.length).replace(/\\/control.sock$/, '') }));
		setInterval(() => {}, 1000);
	`,
		],
		{ reject: false, buffer: false, env },
	);
	let stderr = '';
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	const info = new Promise<{ pid: number; workspace: string }>((resolve, reject) => {
		child.stdout!.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as { pid: number; workspace: string }));
		void child.then((result) => reject(new Error(`runner exited early (${String(result.exitCode ?? result.signal)}): ${stderr}`)));
	});
	return { child, info };
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (condition()) return true;
		await new Promise((resolve) => setTimeout(resolve, 50));
	}
	return condition();
}

function exists(file: string): boolean {
	try {
		statSync(file);
		return true;
	} catch {
		return false;
	}
}

describe('a test runner that dies', () => {
	it('does not leave QEMU running after SIGKILL, and the next start removes its temp dir', async () => {
		// A temp dir of its own: a VM started meanwhile by another test file would sweep the dead run's
		// workspace before this test can see that it is still there.
		const tmp = mkdtempSync('/tmp/vmx-sigkill-');
		onTestFinished(() => rmSync(tmp, { recursive: true, force: true }));
		const { child, info } = startRunner({ TMPDIR: tmp });
		const { pid, workspace } = await info;
		expect(isProcessAlive(pid)).toBe(true);
		child.kill('SIGKILL');
		await child;
		expect(await waitUntil(() => !isProcessAlive(pid), 2000)).toBe(true);
		expect(exists(workspace)).toBe(true); // SIGKILL cannot be caught: the next start cleans up
		const next = startRunner({ TMPDIR: tmp });
		await next.info;
		expect(exists(workspace)).toBe(false);
		next.child.kill('SIGTERM');
		await next.child;
	});

	it.each(['SIGINT', 'SIGTERM'] as const)('cleans up QEMU and its temp dir on %s', async (signal) => {
		const { child, info } = startRunner();
		const { pid, workspace } = await info;
		child.kill(signal);
		const result = await child;
		expect(result.signal).toBe(signal);
		expect(await waitUntil(() => !isProcessAlive(pid), 2000)).toBe(true);
		expect(exists(workspace)).toBe(false);
	});
});

describe('one VM under load and faults', () => {
	let vm: Vm;
	beforeAll(async () => {
		vm = await startVm({ memory: '256M' });
	});
	afterAll(async () => {
		await vm?.close();
	});

	it('keeps its workspace private to the user', () => {
		const workspace = workspaceOf(vm);
		expect(statSync(workspace).mode & 0o777).toBe(0o700);
		expect(statSync(path.join(workspace, 'xchg')).mode & 0o777).toBe(0o700);
	});

	it('runs 1,000 execs in a row without leaking host file descriptors, memory or exchange files', async () => {
		for (let index = 0; index < 20; index++) await vm.exec('true');
		collectGarbage();
		const heapBefore = process.memoryUsage().heapUsed;
		const fdsBefore = readdirSync('/proc/self/fd').length;
		for (let index = 0; index < 1000; index++) {
			const result = await vm.exec(`echo ${index}`);
			if (result.stdout !== `${index}\n`) throw new Error(`exec ${index} returned ${JSON.stringify(result)}`);
		}
		expect(readdirSync('/proc/self/fd').length).toBeLessThanOrEqual(fdsBefore + 2);
		collectGarbage();
		// A leak of even 10 KiB per exec (a listener, a pending entry, an output buffer) would be 10 MB here.
		expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(8 * 2 ** 20);
		// boot.env and the kernel log (kmsg, see src/kernel-log/) are the VM's own, for as long as it runs.
		expect(readdirSync(path.join(workspaceOf(vm), 'xchg')).filter((name) => name !== 'boot.env' && name !== 'kmsg')).toEqual([]);
		// Execs reuse a few cgroup slots rather than leaving one cgroup each behind.
		const { stdout } = await vm.exec('ls /sys/fs/cgroup | grep -c "^vmx-" || true');
		expect(Number(stdout)).toBeLessThanOrEqual(4);
	});

	it('runs 16 execs at once', async () => {
		const results = await Promise.all(Array.from({ length: 16 }, (_, index) => vm.exec(`sleep 0.5; echo ${index}`)));
		expect(results.map((result) => result.stdout)).toEqual(Array.from({ length: 16 }, (_, index) => `${index}\n`));
	});

	it('returns when the script leaves a background daemon running, and the daemon keeps running', async () => {
		const result = await vm.exec('sleep 1000 & echo $! >/tmp/daemon.pid; echo started', { timeout: 30_000 });
		expect(result).toMatchObject({ stdout: 'started\n', exitCode: 0, timedOut: false });
		await vm.succeed('kill -0 "$(cat /tmp/daemon.pid)" && kill "$(cat /tmp/daemon.pid)"');
	});

	it('returns the status of a script that closes its stdout early', async () => {
		expect(await vm.exec('exec >&-; echo still-err >&2; exit 4')).toMatchObject({ stdout: '', stderr: 'still-err\n', exitCode: 4 });
	});

	it('survives the OOM killer: the runaway script is killed, the VM stays usable', async () => {
		const result = await vm.exec('tail /dev/zero', { timeout: 60_000 });
		expect(result.exitCode).toBe(137);
		expect(result.timedOut).toBe(false);
		expect((await vm.exec('dmesg | grep -c "Out of memory: Killed process"')).stdout).not.toBe('0\n');
		expect((await vm.exec('echo alive')).stdout).toBe('alive\n');
	});

	it('returns 100 MiB of output', async () => {
		const result = await vm.exec('head -c 104857600 /dev/zero', { encoding: 'buffer' });
		expect(result.stdout.length).toBe(104_857_600);
		expect(result.stdout.every((byte) => byte === 0)).toBe(true);
	});

	it('rejects a script with a NUL character with a clear error, and runs one with lone surrogates as UTF-8', async () => {
		await expect(vm.exec('echo a\0b')).rejects.toThrow('Expected the script to contain no NUL characters (shells cannot run them).');
		expect((await vm.exec('printf %s "\uD800"', { encoding: 'buffer' })).stdout).toEqual(Buffer.from([0xef, 0xbf, 0xbd]));
	});
});

describe('parallel VMs', () => {
	it('start at once with their own sockets and dirs', async () => {
		const vms = await Promise.all([startVm(), startVm()]);
		try {
			expect(new Set(vms.map(workspaceOf)).size).toBe(2);
			const results = await Promise.all(vms.map((vm, index) => vm.exec(`echo ${index} >/tmp/who; cat /tmp/who`)));
			expect(results.map((result) => result.stdout)).toEqual(['0\n', '1\n']);
		} finally {
			await Promise.all(vms.map((vm) => vm.close()));
		}
		expect(vms.flatMap(leftovers)).toEqual([]);
	});
});

describe('bad input to the host tools', () => {
	it('names QEMU and the package to install when QEMU is missing', async () => {
		await expect(startVm({ qemu: '/nonexistent/qemu-system-x86_64' })).rejects.toThrow(
			'QEMU (/nonexistent/qemu-system-x86_64) was not found. Install it with `sudo apt-get install qemu-system-x86`',
		);
	});

	it('names busybox and the package to install when the configured busybox is missing', async () => {
		process.env.VM_EXEC_BUSYBOX = '/nonexistent/busybox';
		try {
			await expect(startVm()).rejects.toThrow(
				'VM_EXEC_BUSYBOX points at /nonexistent/busybox, which is not an executable file. Fix the path or unset it. Install it with `sudo apt-get install busybox-static`',
			);
		} finally {
			delete process.env.VM_EXEC_BUSYBOX;
		}
	});

	it('says what is wrong with a kernel option that is not a kernel', async () => {
		await expect(startVm({ kernel: '/etc/hostname' })).rejects.toThrow(/Cannot tell the release of the kernel \/etc\/hostname/);
	});
});
