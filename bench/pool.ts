/**
 * Warm-pool benchmarks: a real Vitest run of a spec file of 10 tests, each with its own `vm` fixture and
 * running a 0.5 s script (bench/pool-file/), with the pool (`VM_EXEC_POOL=1`) and without it
 * (`VM_EXEC_POOL=0`: the same fixture, which then starts each test's VM when the test asks), files
 * interleaved so that a change in the machine's load hits both alike; the time from a test's start to
 * its VM being ready; where the rest of a test's time goes; the resident memory of a VM waiting in the pool.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir as tempDir } from 'tmp-promise';
import { resolveBudgetMiB } from '../src/options/environment.js';
import { WarmPool } from '../src/pool/warm-pool.js';
import type { VmOptions } from '../src/index.js';
import { qemuMemoryMiB } from './qemu-memory.js';
import { type BenchRow, median } from './table.js';

const TESTS = 10;
const root = fileURLToPath(new URL('..', import.meta.url));
const vitest = path.join(root, 'node_modules/vitest/vitest.mjs');

interface TestRecord {
	index: number;
	started: number;
	ready: number;
	ended: number;
}

interface FileRun {
	/** The file's time as Vitest reports it: its tests, hooks and fixtures, its end waiting for its VMs to close. */
	wallMs: number;
	/** Per test: its start (before its fixtures) → its VM ready. */
	readyMs: number[];
	/** Per test: its script, as the test saw it. */
	scriptMs: number[];
	/** Between a test's script end and the next test's start: the fixture's teardown and Vitest's own work. */
	betweenMs: number[];
}

/** One Vitest run of the spec file, with the warm pool of `poolSize` (0: off). */
async function runFile(poolSize: number): Promise<FileRun> {
	const temp = await tempDir({ prefix: 'vm-exec-bench-pool-', unsafeCleanup: true });
	try {
		const report = path.join(temp.path, 'report.json');
		const log = path.join(temp.path, 'tests.jsonl');
		const result = await execa(
			process.execPath,
			[vitest, 'run', '--root', path.join(root, 'bench/pool-file'), '--reporter=json', `--outputFile.json=${report}`],
			{ env: { VM_EXEC_POOL: String(poolSize), BENCH_POOL_LOG: log }, reject: false, all: true },
		);
		const json = JSON.parse(await readFile(report, 'utf8').catch(() => 'null')) as {
			testResults: Array<{ startTime: number; endTime: number; status: string }>;
		} | null;
		const file = json?.testResults[0];
		if (!file || file.status !== 'passed') throw new Error(`the bench's spec file failed (exit code ${result.exitCode}):\n${result.all}`);
		const tests = (await readFile(log, 'utf8'))
			.split('\n')
			.filter(Boolean)
			.map((line) => JSON.parse(line) as TestRecord)
			.sort((a, b) => a.index - b.index);
		return {
			wallMs: file.endTime - file.startTime,
			readyMs: tests.map((test) => test.ready - test.started),
			scriptMs: tests.map((test) => test.ended - test.ready),
			betweenMs: tests.slice(1).map((test, index) => test.started - tests[index]!.ended),
		};
	} finally {
		await temp.cleanup();
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
	// The first VM may create the snapshot: not part of either file's time.
	await runFile(0);
	const without: FileRun[] = [];
	const withPool: FileRun[] = [];
	for (let file = 0; file < options.files; file++) {
		without.push(await runFile(0));
		withPool.push(await runFile(1));
	}
	const ratios = withPool.map((run, index) => run.wallMs / without[index]!.wallMs);
	const memory = await waitingVmMemory(vmOptions);
	// A later test whose VM was ready at once got one that waited in the pool.
	const hits = withPool.reduce((sum, run) => sum + run.readyMs.slice(1).filter((ms) => ms <= 50).length, 0);
	const medians = (runs: FileRun[], of: (run: FileRun) => number[]) => runs.map((run) => median(of(run)));
	return [
		{
			metric: `spec file, ${TESTS} tests × own \`vm\` × 0.5 s script (Vitest): wall time without the pool`,
			unit: 'ms',
			samples: without.map((run) => run.wallMs),
		},
		{
			metric: `  the same file with the pool (${hits}/${withPool.length * (TESTS - 1)} later tests' VMs ready ≤ 50 ms)`,
			unit: 'ms',
			samples: withPool.map((run) => run.wallMs),
		},
		{ metric: '  with ÷ without, paired (×100)', unit: '%', samples: ratios.map((ratio) => ratio * 100), target: '≤ 65 %' },
		{
			metric: "test start → its VM ready, median of a file's tests: without the pool",
			unit: 'ms',
			samples: medians(without, (run) => run.readyMs),
		},
		{ metric: '  with the pool', unit: 'ms', samples: medians(withPool, (run) => run.readyMs), target: '≤ 50 ms' },
		{
			metric: "  the test's 0.5 s script as it saw it, median: without the pool",
			unit: 'ms',
			samples: medians(without, (run) => run.scriptMs),
		},
		{
			metric: '    with the pool (a VM starting in the background meanwhile)',
			unit: 'ms',
			samples: medians(withPool, (run) => run.scriptMs),
		},
		{
			metric: "  script end → next test's start (teardown, Vitest), median: without the pool",
			unit: 'ms',
			samples: medians(without, (run) => run.betweenMs),
		},
		{ metric: '    with the pool', unit: 'ms', samples: medians(withPool, (run) => run.betweenMs) },
		{ metric: 'QEMU resident memory, a VM waiting in the pool', unit: 'MiB', samples: [memory.resident] },
		{ metric: '  of which its own (anonymous; the rest is shared file pages)', unit: 'MiB', samples: [memory.own] },
	];
}
