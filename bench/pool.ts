/**
 * Warm-pool benchmarks: a spec file of 10 tests, each taking its own VM (as the `vm` fixture does) and
 * running a 0.5 s script, timed with the pool and without it (files interleaved, so a change in the
 * machine's load hits both alike); the time from a test's start to its VM being ready; the resident
 * memory of a VM waiting in the pool.
 */
import { resolveBudgetMiB } from '../src/pool/policy.js';
import { WarmPool } from '../src/pool/warm-pool.js';
import type { VmOptions } from '../src/index.js';
import { qemuMemoryMiB } from './qemu-memory.js';
import { type BenchRow, median } from './table.js';

const TESTS = 10;

interface FileRun {
	wallMs: number;
	readyMs: number[];
	hits: number;
}

/** One spec file: each test acquires a VM, runs a 0.5 s script, closes it. */
async function runFile(poolSize: number, options: VmOptions): Promise<FileRun> {
	const pool = new WarmPool({ idleMs: 60_000, budgetMiB: resolveBudgetMiB() });
	const readyMs: number[] = [];
	let hits = 0;
	const started = performance.now();
	try {
		for (let test = 0; test < TESTS; test++) {
			const testStarted = performance.now();
			const { vm, source } = await pool.acquire({ ...options, pool: poolSize }, { scope: 'bench' });
			readyMs.push(performance.now() - testStarted);
			if (source === 'pool') hits++;
			try {
				await vm.succeed('sleep 0.5');
			} finally {
				await vm.close();
			}
		}
		return { wallMs: performance.now() - started, readyMs, hits };
	} finally {
		await pool.close();
	}
}

/** A VM that waits in the pool, 2 s after it is up: its memory. */
async function waitingVmMemory(options: VmOptions): Promise<{ resident: number; own: number }> {
	const pool = new WarmPool({ idleMs: 60_000, budgetMiB: resolveBudgetMiB() });
	try {
		const { vm } = await pool.acquire(options);
		await vm.close();
		const deadline = Date.now() + 60_000;
		while (pool.readyPids.length === 0) {
			if (Date.now() > deadline) throw new Error('no VM started ahead within 60 s');
			await new Promise((resolve) => setTimeout(resolve, 50));
		}
		await new Promise((resolve) => setTimeout(resolve, 2000));
		return await qemuMemoryMiB(pool.readyPids[0]!);
	} finally {
		await pool.close();
	}
}

export async function benchPool(options: { files: number; vmOptions?: VmOptions }): Promise<BenchRow[]> {
	const vmOptions = options.vmOptions ?? {};
	// The first VM of these options may create their snapshot: not part of either file's time.
	await runFile(0, vmOptions).catch(() => {});
	const without: FileRun[] = [];
	const withPool: FileRun[] = [];
	for (let file = 0; file < options.files; file++) {
		without.push(await runFile(0, vmOptions));
		withPool.push(await runFile(1, vmOptions));
	}
	const ratios = withPool.map((run, index) => run.wallMs / without[index]!.wallMs);
	const memory = await waitingVmMemory(vmOptions);
	const hits = withPool.reduce((sum, run) => sum + run.hits, 0);
	return [
		{
			metric: `spec file, ${TESTS} tests × own VM × 0.5 s script: wall time without the pool`,
			unit: 'ms',
			samples: without.map((run) => run.wallMs),
		},
		{
			metric: `  the same file with the pool (${hits}/${withPool.length * (TESTS - 1)} later tests got a waiting VM)`,
			unit: 'ms',
			samples: withPool.map((run) => run.wallMs),
		},
		{ metric: '  with ÷ without, paired (×100)', unit: '%', samples: ratios.map((ratio) => ratio * 100), target: '≤ 65 %' },
		{
			metric: "test start → its VM ready, median of a file's tests: without the pool",
			unit: 'ms',
			samples: without.map((run) => median(run.readyMs)),
		},
		{ metric: '  with the pool', unit: 'ms', samples: withPool.map((run) => median(run.readyMs)), target: '≤ 50 ms' },
		{ metric: 'QEMU resident memory, a VM waiting in the pool', unit: 'MiB', samples: [memory.resident] },
		{ metric: '  of which its own (anonymous; the rest is shared file pages)', unit: 'MiB', samples: [memory.own] },
	];
}
