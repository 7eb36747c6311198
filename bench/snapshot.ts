/**
 * Snapshot benchmarks: a fresh VM from a snapshot to its first exec result, next to a cold boot in the
 * same run (samples interleaved, so a change in the machine's load hits both alike), the one-time cost of
 * creating the snapshot, and its size on disk. Uses a private cache directory, removed afterwards.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { dir } from 'tmp-promise';
import { snapshotsDir } from '../src/snapshot/layout.js';
import { startVm, type VmOptions } from '../src/index.js';
import { startThisVm, timeFirstResult } from './first-result.js';
import { qemuMemoryMiB } from './qemu-memory.js';
import { type BenchRow, median } from './table.js';

/** Disk space the snapshot's files take (allocated blocks: the RAM file is sparse). */
async function snapshotMiB(cacheDir: string): Promise<number> {
	const files = (await readdir(snapshotsDir(cacheDir))).filter((name) => name.endsWith('.vmstate') || name.endsWith('.ram'));
	const sizes = await Promise.all(files.map(async (name) => (await stat(path.join(snapshotsDir(cacheDir), name))).blocks * 512));
	return sizes.reduce((sum, size) => sum + size, 0) / 2 ** 20;
}

/** A VM started from the snapshot, idle after one exec: its memory. */
async function restoredVmMemory(options: VmOptions): Promise<{ resident: number; own: number }> {
	const vm = await startVm(options);
	try {
		await vm.exec('true');
		await new Promise((resolve) => setTimeout(resolve, 1000));
		return await qemuMemoryMiB(vm.pid!);
	} finally {
		await vm.close();
	}
}

export async function benchSnapshot(options: { boots: number }): Promise<BenchRow[]> {
	const cache = await dir({ prefix: 'vm-exec-bench-', unsafeCleanup: true });
	try {
		const cacheDir = cache.path;
		// Build the kernel and initramfs into the private cache first: that cost is not the snapshot's.
		await timeFirstResult(startThisVm, { cacheDir, snapshot: false });
		const creation = await timeFirstResult(startThisVm, { cacheDir });
		if (creation.bootedFrom !== 'cold') throw new Error('the first start of a configuration should boot cold and save the snapshot');
		const fromSnapshot: number[] = [];
		const cold: number[] = [];
		for (let index = 0; index < options.boots; index++) {
			const restored = await timeFirstResult(startThisVm, { cacheDir });
			if (restored.bootedFrom !== 'snapshot')
				throw new Error(`a start from the snapshot booted ${restored.bootedFrom} instead (run with DEBUG=vm-exec:snapshot)`);
			fromSnapshot.push(restored.ms);
			cold.push((await timeFirstResult(startThisVm, { cacheDir, snapshot: false })).ms);
		}
		const speedup = median(cold) / median(fromSnapshot);
		const memory = await restoredVmMemory({ cacheDir });
		return [
			{ metric: 'fresh VM from a snapshot → first exec result', unit: 'ms', samples: fromSnapshot, target: '≤ 300 ms' },
			{
				metric: `cold boot → first exec result (same run; snapshot is ${speedup.toFixed(1)}× faster)`,
				unit: 'ms',
				samples: cold,
				target: 'snapshot ≥ 4× faster',
			},
			{ metric: 'first start of a configuration (cold boot + saving the snapshot)', unit: 'ms', samples: [creation.ms] },
			{ metric: 'snapshot size on disk (RAM file + state)', unit: 'MiB', samples: [await snapshotMiB(cacheDir)] },
			{ metric: 'QEMU resident memory, idle VM from a snapshot', unit: 'MiB', samples: [memory.resident], target: '≤ 250 MiB' },
			{ metric: '… of which its own (the rest is the shared RAM file)', unit: 'MiB', samples: [memory.own] },
		];
	} finally {
		await cache.cleanup();
	}
}
