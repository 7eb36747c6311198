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
import type { QemuPlan } from '../src/qemu/argv.js';
import { bootToConsole, type RawBootSetup } from './raw-boot.js';

const MARK = 'vm-exec-bench: /init runs';
const BARE_INIT = `#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
echo '${MARK}' >/dev/ttyS0
/bin/busybox mount -t proc proc /proc
echo b >/proc/sysrq-trigger
`;

export async function benchBareInit(setup: RawBootSetup, count: number): Promise<number[]> {
	return (await bareInitBoots(setup, count)).map(({ ms }) => ms);
}

/** `count` bare boots: the wall time to `/init` and the CPU time QEMU had used by then, ms. */
export async function bareInitBoots(setup: RawBootSetup, count: number): Promise<{ ms: number; cpuMs: number }[]> {
	const [samples] = await bootBareInitWith(setup, count, [{}]);
	return samples!;
}

/**
 * The same bare boot with each of several changes to the plan (e.g. kernel flags), interleaved (one boot of
 * each in turn, `count` rounds), so that a difference between them is not the machine's load changing: one
 * sample list per change.
 */
export async function benchBareInitWith(setup: RawBootSetup, count: number, changes: readonly Partial<QemuPlan>[]): Promise<number[][]> {
	return (await bootBareInitWith(setup, count, changes)).map((samples) => samples.map(({ ms }) => ms));
}

async function bootBareInitWith(
	setup: RawBootSetup,
	count: number,
	changes: readonly Partial<QemuPlan>[],
): Promise<{ ms: number; cpuMs: number }[][]> {
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
			const samples = changes.map(() => [] as { ms: number; cpuMs: number }[]);
			for (let round = 0; round < count; round++) {
				for (const [index, change] of changes.entries()) {
					samples[index]!.push(
						await bootToConsole(setup, { ...change, initramfs }, (output) => output.includes(MARK), 'the bare /init ran'),
					);
				}
			}
			return samples;
		},
		{ unsafeCleanup: true, prefix: 'vm-exec-bench-' },
	);
}
