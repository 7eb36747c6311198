/**
 * The floor under a cold start: how long the kernel vm-exec boots takes from QEMU's start to running
 * `/init`, with the same firmware, machine, accelerator and kernel flags, but a bare initramfs (a static
 * busybox and an `/init` that says so and reboots: no modules, nothing of vm-exec's guest). A cold
 * `startVm()` cannot be faster than this; the difference is what vm-exec adds.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { findBusybox } from '../src/host/host-tools.js';
import { packCpio } from '../src/host/cpio.js';
import { buildKernelCommandLine } from '../src/host/qemu-argv.js';
import { startVm } from '../src/index.js';
import { sample } from './table.js';

const MARK = 'vm-exec-bench: /init runs';
const BARE_INIT = `#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
echo '${MARK}' >/dev/ttyS0
/bin/busybox mount -t proc proc /proc
echo b >/proc/sysrq-trigger
`;

function valueAfter(argv: readonly string[], flag: string): string | undefined {
	const index = argv.indexOf(flag);
	return index === -1 ? undefined : argv[index + 1];
}

export async function benchBareInit(count: number): Promise<number[]> {
	const vm = await startVm({ snapshot: false });
	const [qemu, ...argv] = vm.qemuArgv;
	await vm.close();
	return withDir(
		async ({ path: dir }) => {
			const initramfs = path.join(dir, 'bare.cpio');
			await writeFile(
				initramfs,
				packCpio([
					{ type: 'dir', path: 'bin' },
					{ type: 'dir', path: 'dev' },
					{ type: 'dir', path: 'proc' },
					{ type: 'file', path: 'bin/busybox', data: await readFile(await findBusybox()), mode: 0o755 },
					{ type: 'file', path: 'init', data: Buffer.from(BARE_INIT), mode: 0o755 },
				]),
			);
			const bios = valueAfter(argv, '-bios');
			const args = [
				'-nodefaults', '-no-user-config', '-display', 'none', '-machine', 'pc', '-accel', valueAfter(argv, '-accel') ?? 'tcg', '-m', '256',
				...(bios ? ['-bios', bios] : []),
				'-kernel', valueAfter(argv, '-kernel')!, '-initrd', initramfs,
				'-append', buildKernelCommandLine(), '-serial', 'stdio', '-no-reboot',
			];
			return sample(count, async () => {
				const started = performance.now();
				const child = spawn(qemu!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
				try {
					return await new Promise<number>((resolve, reject) => {
						let seen = '';
						child.stdout.on('data', (chunk: Buffer) => {
							seen += chunk.toString('latin1');
							if (seen.includes(MARK)) resolve(performance.now() - started);
						});
						child.once('exit', (code) => reject(new Error(`QEMU exited (${code}) before the bare /init ran`)));
					});
				} finally {
					child.kill('SIGKILL');
				}
			});
		},
		{ unsafeCleanup: true, prefix: 'vm-exec-bench-' },
	);
}
