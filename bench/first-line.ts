/**
 * How soon the kernel prints its first line after QEMU starts: the same kernel, initramfs, firmware and
 * machine a VM uses (taken from a real VM's argv), with the console on stdout and the boot log on. Also
 * the helpers for other raw QEMU boots (see bare-init.ts).
 */
import { spawn } from 'node:child_process';
import { startVm } from '../src/index.js';
import { sample } from './table.js';

function valueAfter(argv: readonly string[], flag: string): string | undefined {
	const index = argv.indexOf(flag);
	return index === -1 ? undefined : argv[index + 1];
}

/** What a cold VM boots with, from its argv: QEMU, and its leading options up to the initramfs. */
export async function rawBootSetup(): Promise<{ qemu: string; args: (initramfs?: string) => string[] }> {
	const vm = await startVm({ snapshot: false });
	const [qemu, ...argv] = vm.qemuArgv;
	await vm.close();
	const bios = valueAfter(argv, '-bios');
	return {
		qemu: qemu!,
		args: (initramfs = valueAfter(argv, '-initrd')!) => [
			'-nodefaults',
			'-no-user-config',
			'-display',
			'none',
			'-machine',
			'pc',
			'-accel',
			valueAfter(argv, '-accel') ?? 'tcg',
			'-m',
			'256',
			...(bios ? ['-bios', bios] : []),
			'-kernel',
			valueAfter(argv, '-kernel')!,
			'-initrd',
			initramfs,
		],
	};
}

/** Milliseconds from starting QEMU until its console output (stdout) satisfies `done`; QEMU is then killed. */
export async function timeToConsole(
	qemu: string,
	args: readonly string[],
	done: (output: string) => boolean,
	what: string,
): Promise<number> {
	const started = performance.now();
	const child = spawn(qemu, args, { stdio: ['ignore', 'pipe', 'ignore'] });
	try {
		return await new Promise<number>((resolve, reject) => {
			let seen = '';
			child.stdout.on('data', (chunk: Buffer) => {
				seen += chunk.toString('latin1');
				if (done(seen)) resolve(performance.now() - started);
			});
			child.once('exit', (code) => reject(new Error(`QEMU exited (${code}) before ${what}`)));
		});
	} finally {
		child.kill('SIGKILL');
	}
}

export async function benchFirstKernelLine(count: number): Promise<number[]> {
	const setup = await rawBootSetup();
	const args = [
		...setup.args(),
		'-append',
		'console=ttyS0 loglevel=7 acpi=off cryptomgr.notests mitigations=off',
		'-serial',
		'stdio',
		'-no-reboot',
	];
	return sample(count, () => timeToConsole(setup.qemu, args, (output) => output.length > 0, 'the kernel printed anything'));
}
