/**
 * A kernel debugger on the guest: with `gdb: true`, QEMU runs its gdb stub (on a unix socket) and the
 * kernel boots with `nokaslr`; `vm.gdb` says how to connect. Here a real gdb, in batch mode, reads a kernel
 * variable of the running guest. No debug symbols are needed for that: the guest's /proc/kallsyms gives the
 * address. (With Debian's linux-image-*-dbg, gdb knows every symbol and type: see gdb/ and the README.)
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Vm } from 'vm-exec';
import { expect, test } from 'vm-exec/vitest';

// `fileVmOptions` is file-scoped: set it at the top level of the file.
test.override({ fileVmOptions: { gdb: true } });

/** Run gdb in batch mode against the guest: connect, run `commands`, detach (the guest runs on). */
async function gdbBatch(vm: Vm, ...commands: string[]): Promise<string> {
	const args = ['-nx', '-batch', '-ex', 'set architecture i386:x86-64', '-ex', vm.gdb!.target];
	for (const command of commands) args.push('-ex', command);
	const { stdout } = await promisify(execFile)('gdb', [...args, '-ex', 'detach'], { timeout: 60_000 });
	return stdout;
}

/** A kernel symbol's address, from the guest itself (`nokaslr` makes it the address the kernel was linked at). */
async function addressOf(vm: Vm, symbol: string): Promise<string> {
	const { stdout } = await vm.succeed(`grep -m1 ' ${symbol}$' /proc/kallsyms`);
	return `0x${stdout.split(' ')[0]}`;
}

test('vm.gdb says how to connect, and the kernel runs without address randomization', async ({ fileVm }) => {
	console.log(`Attach gdb to this VM with:\n  ${fileVm.gdb!.command} /usr/lib/debug/boot/vmlinux-${fileVm.kernel.release}`);
	expect(fileVm.gdb!.target).toBe(`target remote ${fileVm.gdb!.socket}`);
	expect(await fileVm.exec('cat /proc/cmdline')).toHaveStdout(/\bnokaslr\b/);
});

test('gdb reads the kernel banner from the guest memory', async ({ fileVm }) => {
	const address = await addressOf(fileVm, 'linux_banner');
	const { stdout: version } = await fileVm.succeed('cat /proc/version');
	const output = await gdbBatch(fileVm, `x/s ${address}`);
	expect(output).toContain(`"${version.trimEnd()}\\n"`);
});

test('a module parameter set in the guest reads back through gdb', async ({ fileVm }) => {
	// dummy's `numdummies` parameter is a plain int in the module's memory.
	await fileVm.succeed('modprobe dummy numdummies=3');
	const address = await addressOf(fileVm, 'numdummies\\s\\[dummy\\]');
	const output = await gdbBatch(fileVm, `x/dw ${address}`);
	expect(output).toMatch(/:\s+3\s*$/m);
});
