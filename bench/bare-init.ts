/**
 * The floor under a cold start: how long the kernel vm-exec boots takes from QEMU's start to running
 * `/init`, with a cold VM's QEMU command line (the same firmware, machine, CPU, devices, accelerator and
 * kernel flags; see raw-boot.ts) but a bare initramfs (a static busybox and an `/init` that says so and
 * reboots: no modules, nothing of vm-exec's guest). A cold `startVm()` cannot be faster than this; the
 * difference is what vm-exec adds.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { findBusybox } from '../src/qemu/host-tools.js';
import { packCpio } from '../src/boot/cpio.js';
import { type RawBootSetup, timeToConsole } from './raw-boot.js';
import { sample } from './table.js';

const MARK = 'vm-exec-bench: /init runs';
const BARE_INIT = `#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
echo '${MARK}' >/dev/ttyS0
/bin/busybox mount -t proc proc /proc
echo b >/proc/sysrq-trigger
`;

export async function benchBareInit(setup: RawBootSetup, count: number): Promise<number[]> {
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
			return sample(count, () => timeToConsole(setup, { initramfs }, (output) => output.includes(MARK), 'the bare /init ran'));
		},
		{ unsafeCleanup: true, prefix: 'vm-exec-bench-' },
	);
}
