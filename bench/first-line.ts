/**
 * How soon the kernel prints its first line after QEMU starts: the same kernel, initramfs, firmware and
 * machine a VM uses (taken from a real VM's argv), with the console on stdout and the boot log on.
 */
import { spawn } from 'node:child_process';
import { startVm } from '../src/index.js';
import { sample } from './table.js';

function valueAfter(argv: readonly string[], flag: string): string | undefined {
	const index = argv.indexOf(flag);
	return index === -1 ? undefined : argv[index + 1];
}

export async function benchFirstKernelLine(count: number): Promise<number[]> {
	const vm = await startVm({ snapshot: false });
	const [qemu, ...argv] = vm.qemuArgv;
	await vm.close();
	const bios = valueAfter(argv, '-bios');
	const args = [
		'-nodefaults', '-no-user-config', '-display', 'none', '-machine', 'pc', '-accel', valueAfter(argv, '-accel') ?? 'tcg', '-m', '256',
		...(bios ? ['-bios', bios] : []),
		'-kernel', valueAfter(argv, '-kernel')!, '-initrd', valueAfter(argv, '-initrd')!,
		'-append', 'console=ttyS0 loglevel=7 acpi=off cryptomgr.notests mitigations=off', '-serial', 'stdio', '-no-reboot',
	];
	return sample(count, async () => {
		const started = performance.now();
		const child = spawn(qemu!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
		try {
			return await new Promise<number>((resolve, reject) => {
				child.stdout.once('data', () => resolve(performance.now() - started));
				child.once('exit', (code) => reject(new Error(`QEMU exited (${code}) before the kernel printed anything`)));
			});
		} finally {
			child.kill('SIGKILL');
		}
	});
}
