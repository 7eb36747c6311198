#!/usr/bin/env node
/**
 * The gdb session of docs/debugging.md, in batch mode: boot a VM with `gdb: true`, attach gdb with Debian's
 * debug vmlinux, stop at the init function of a module (dummy) as the guest loads it, print the stack and a
 * module parameter, detach, and let the load finish.
 *
 * Needs gdb and the kernel's debug package (~860 MB download, ~5.7 GB installed; not needed by the specs):
 *   sudo apt-get install gdb linux-image-$(vm-exec 'uname -r')-dbg
 * Run: node gdb/break-on-module-init.mjs
 */
import { spawn } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startVm } from 'vm-exec';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));

const vm = await startVm({ gdb: true });
try {
	const release = vm.kernel.release;
	const vmlinux = `/usr/lib/debug/boot/vmlinux-${release}`;
	if (
		!(await access(vmlinux).then(
			() => true,
			() => false,
		))
	) {
		throw new Error(`No debug vmlinux at ${vmlinux}: install it with\n  sudo apt-get install linux-image-${release}-dbg`);
	}
	console.log(`VM up (Linux ${release}); gdb attaches with: ${vm.gdb.command} ${vmlinux}`);

	// The commands, with this kernel's release filled in.
	const commands = (await readFile(here('break-on-module-init.gdb'), 'utf8')).replaceAll('$release', release);
	const gdbArgs = ['-q', '-nx', '-batch', '-ex', `source ${here('module-symbols.py')}`, '-ex', vm.gdb.target];
	for (const line of commands.split('\n').filter((text) => text && !text.startsWith('#'))) gdbArgs.push('-ex', line);
	const gdb = spawn('gdb', [...gdbArgs, vmlinux], { stdio: ['ignore', 'pipe', 'inherit'] });
	const gdbDone = new Promise((resolve) => gdb.on('close', resolve));

	// Load the module once gdb has set its first breakpoint and let the guest run on.
	await new Promise((resolve, reject) => {
		let output = '';
		gdb.stdout.on('data', (chunk) => {
			process.stdout.write(chunk);
			output += chunk;
			if (output.includes('Breakpoint 1 at')) resolve();
		});
		gdb.on('close', () => reject(new Error('gdb ended before it set its breakpoint')));
	});
	await new Promise((resolve) => setTimeout(resolve, 1000));
	console.log('guest$ modprobe dummy numdummies=2');
	const load = vm.exec('modprobe dummy numdummies=2 && ip -br link show type dummy');
	const gdbStatus = await gdbDone;
	const loaded = await load;
	process.stdout.write(loaded.stdout + loaded.stderr);
	console.log(`gdb exited with ${gdbStatus}, modprobe with ${loaded.exitCode}`);
	process.exitCode = gdbStatus === 0 && loaded.exitCode === 0 ? 0 : 1;
} finally {
	await vm.close();
}
