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
import { packCpio, type CpioEntry } from '../src/boot/cpio.js';
import type { QemuPlan } from '../src/qemu/argv/qemu-argv.js';
import { bootToConsole, type RawBootSetup } from './raw-boot.js';

const MARK = 'vm-exec-bench: /init runs';
const MARK_LINE = `echo '${MARK}' >/dev/ttyS0\n`;
const BARE_INIT = `#!/bin/busybox sh
/bin/busybox mount -t devtmpfs dev /dev
${MARK_LINE}/bin/busybox mount -t proc proc /proc
echo b >/proc/sysrq-trigger
`;

/**
 * The bare initramfs's entries: `busybox` (the file's bytes) and an `/init` that runs `before` (shell lines)
 * and then says it runs.
 */
function bareEntries(busybox: Buffer, before = ''): CpioEntry[] {
	return [
		{ type: 'dir', path: 'bin' },
		{ type: 'dir', path: 'dev' },
		{ type: 'dir', path: 'proc' },
		{ type: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 },
		{ type: 'file', path: 'init', data: Buffer.from(BARE_INIT.replace(MARK_LINE, `${before}${MARK_LINE}`)), mode: 0o755 },
	];
}

/**
 * vm-exec's init loads its modules so (src/guest/init.sh): one modprobe over the list and modules.dep it
 * carries. If that fails, the VM resets before its /init says it runs, and the bench stops with QEMU's exit.
 */
const LOAD_MODULES = `/bin/busybox mount -t proc proc /proc
modules=
while read -r module; do modules="$modules \${module%.ko}"; done </etc/vm-exec/modules
/bin/busybox modprobe -a $modules || echo b >/proc/sysrq-trigger
`;

/** Initramfs files for the breakdown of a cold start (cold-overhead.ts), written into `dir`. */
export interface BreakdownInitramfs {
	/** The bare initramfs. */
	bare: string;
	/**
	 * vm-exec's own initramfs with a bare one appended whose /init loads vm-exec's modules as its init does,
	 * then says it runs: the kernel unpacks all of vm-exec's files (its modules, the copy of the host's shell
	 * and its libraries, the init's scripts), then this /init and busybox replace vm-exec's. Against `bare`:
	 * what carrying those files and loading the modules cost the boot, the part of a cold start no init
	 * step can save.
	 */
	modules: string;
}

export async function breakdownInitramfs(dir: string, vmExecInitramfs: string): Promise<BreakdownInitramfs> {
	const files = { bare: path.join(dir, 'bare.cpio'), modules: path.join(dir, 'modules.cpio') };
	const busybox = await readFile(await findBusybox());
	await writeFile(files.bare, packCpio(bareEntries(busybox)));
	await writeFile(files.modules, Buffer.concat([await readFile(vmExecInitramfs), packCpio(bareEntries(busybox, LOAD_MODULES))]));
	return files;
}

/**
 * A bare boot with `initramfs` (and `change` to the plan): the wall time to its `/init` saying it runs, and
 * QEMU's CPU time by then.
 */
export function bootBareInit(
	setup: RawBootSetup,
	initramfs: string,
	change: Partial<QemuPlan> = {},
): Promise<{ ms: number; cpuMs: number }> {
	return bootToConsole(setup, { ...change, initramfs }, (output) => output.includes(MARK), 'the bare /init ran');
}

/** `count` bare boots: the wall time to `/init`, ms. */
export async function benchBareInit(setup: RawBootSetup, count: number): Promise<number[]> {
	const [samples] = await benchBareInitWith(setup, count, [{}]);
	return samples!;
}

/**
 * The same bare boot with each of several changes to the plan (e.g. kernel flags), interleaved (one boot of
 * each in turn, `count` rounds), so that a difference between them is not the machine's load changing: one
 * sample list per change (wall time to `/init`, ms).
 */
export async function benchBareInitWith(setup: RawBootSetup, count: number, changes: readonly Partial<QemuPlan>[]): Promise<number[][]> {
	return withDir(
		async ({ path: dir }) => {
			const initramfs = path.join(dir, 'bare.cpio');
			await writeFile(initramfs, packCpio(bareEntries(await readFile(await findBusybox()))));
			const samples = changes.map(() => [] as number[]);
			for (let round = 0; round < count; round++) {
				for (const [index, change] of changes.entries()) samples[index]!.push((await bootBareInit(setup, initramfs, change)).ms);
			}
			return samples;
		},
		{ unsafeCleanup: true, prefix: 'vm-exec-bench-' },
	);
}
