/**
 * Coldplug benchmarks: what loading the drivers of a VM's devices before the first exec costs.
 * - A VM with no extra devices, cold and from a snapshot: its time to a first exec result. With
 *   BENCH_BASELINE_DIST=<another build's dist/> (e.g. main's, built with `npx tsc -p tsconfig.build.json
 *   --outDir`), the same VMs of that build are timed in the same loop, sample by sample (interleaved), so a
 *   change in the machine's load hits both alike: that is the before/after.
 * - A VM with one disk from a snapshot (the coldplug loads virtio_blk), next to the plain VM.
 * - A VM whose qemuArgs give the user a QMP monitor (it boots with ACPI for PCI hotplug), cold.
 * The baseline build runs the same four.
 * Uses a private cache directory, removed afterwards.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dir } from 'tmp-promise';
import type { VmOptions } from '../src/index.js';
import { loadBaselineStartVm, type StartVm, startThisVm, timeFirstResult } from './first-result.js';
import type { BenchRow } from './table.js';

export async function benchColdplug(options: { boots: number }): Promise<BenchRow[]> {
	const baseline = await loadBaselineStartVm();
	const cache = await dir({ prefix: 'vm-exec-bench-coldplug-', unsafeCleanup: true });
	try {
		const cacheDir = cache.path;
		const disk = path.join(cache.path, 'disk.img');
		await writeFile(disk, Buffer.alloc(1024 * 1024));
		// A monitor on a socket in the private cache dir: no one connects, it only has to be there.
		const monitor = ['-qmp', `unix:${path.join(cache.path, 'qmp.sock')},server=on,wait=off`];
		const kinds: Array<[string, VmOptions]> = [
			['no extra device, cold boot', { cacheDir, snapshot: false }],
			['no extra device, from a snapshot', { cacheDir }],
			['one disk (coldplug loads virtio_blk), from a snapshot', { cacheDir, disks: [disk] }],
			['a QMP monitor in qemuArgs (ACPI hotplug), cold boot', { cacheDir, snapshot: false, qemuArgs: monitor }],
		];
		const starts: Array<[string, StartVm, VmOptions]> = [
			...kinds.map(([name, vmOptions]): [string, StartVm, VmOptions] => [name, startThisVm, vmOptions]),
			...(baseline ? kinds.map(([name, vmOptions]): [string, StartVm, VmOptions] => [`BASELINE build: ${name}`, baseline, vmOptions]) : []),
		];
		// Warm-up: build the kernel and initramfs, and save the snapshots, outside the samples.
		for (const [, start, vmOptions] of starts) await timeFirstResult(start, vmOptions);
		const samples = new Map<string, number[]>(starts.map(([name]) => [name, []]));
		for (let index = 0; index < options.boots; index++) {
			for (const [name, start, vmOptions] of starts) samples.get(name)!.push((await timeFirstResult(start, vmOptions)).ms);
		}
		return starts.map(([name]) => ({ metric: `coldplug: ${name} → first exec result`, unit: 'ms', samples: samples.get(name)! }));
	} finally {
		await cache.cleanup();
	}
}
