/**
 * `gdb: true`: a real gdb, in batch mode, attaches to the running guest kernel through QEMU's stub and
 * reads a kernel variable. Debian's System.map is a placeholder (the real one is in linux-image-*-dbg), so
 * the symbol's address comes from the guest's own /proc/kallsyms; `nokaslr` makes it the link address.
 */
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';

let vm: Vm;
beforeAll(async () => {
	vm = await startVm({ gdb: true });
}, 90_000);
afterAll(async () => {
	await vm?.close();
});

async function symbolAddress(name: string): Promise<string> {
	const { stdout } = await vm.succeed(`grep ' ${name}$' /proc/kallsyms`);
	const address = stdout.split(' ')[0]!;
	expect(address).toMatch(/^ffffffff[0-9a-f]{8}$/);
	return `0x${address}`;
}

function gdbBatch(...commands: string[]) {
	const args = ['-nx', '-batch', '-ex', 'set architecture i386:x86-64', '-ex', vm.gdb!.target];
	for (const command of commands) args.push('-ex', command);
	return execa('gdb', [...args, '-ex', 'detach'], { timeout: 60_000, reject: false });
}

describe('gdb: true', () => {
	it('says how to connect and boots with nokaslr', async () => {
		expect(vm.gdb).toMatchObject({ socket: expect.stringMatching(/\/gdb\.sock$/), target: `target remote ${vm.gdb!.socket}` });
		expect(vm.gdb!.command).toContain(vm.gdb!.target);
		expect((await vm.succeed('cat /proc/cmdline')).stdout).toContain('nokaslr');
	});

	it('lets gdb read linux_banner from the running guest kernel', async () => {
		const address = await symbolAddress('linux_banner');
		const { stdout: version } = await vm.succeed('cat /proc/version');
		const gdb = await gdbBatch(`x/s ${address}`);
		expect(gdb.exitCode, gdb.stderr).toBe(0);
		expect(gdb.stdout).toContain(`${address}:\t"${version.trimEnd()}\\n"`);
	});

	it('leaves the guest running after gdb detaches, with jiffies moving on', async () => {
		const address = await symbolAddress('jiffies_64');
		const read = async () => {
			const gdb = await gdbBatch(`x/gd ${address}`);
			const match = /:\s+(\d+)\s*$/m.exec(gdb.stdout);
			expect(match, gdb.stdout + gdb.stderr).not.toBeNull();
			return BigInt(match![1]!);
		};
		const first = await read();
		await vm.succeed('sleep 0.2');
		expect(await read()).toBeGreaterThan(first);
		expect((await vm.exec('echo alive')).stdout).toBe('alive\n');
	});

	it('waits out a guest that gdb holds stopped longer than the liveness limit: the pending exec still finishes', async () => {
		// gdb attaches (which stops the guest), stays 15 s (past the 12 s of silence that marks a frozen guest),
		// then detaches; the exec sent meanwhile must complete, and the VM stay usable.
		const gdb = gdbBatch('shell sleep 15');
		await new Promise((resolve) => setTimeout(resolve, 500));
		const result = await vm.exec('echo after-the-debugger');
		expect((await gdb).exitCode).toBe(0);
		expect(result.stdout).toBe('after-the-debugger\n');
		expect((await vm.exec('echo still-usable')).stdout).toBe('still-usable\n');
	});

	it('is not there without the option', async () => {
		await using plain = await startVm();
		expect(plain.gdb).toBeUndefined();
		expect(plain.qemuArgv).not.toContain('-gdb');
	});
});
