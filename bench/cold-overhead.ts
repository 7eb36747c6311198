/**
 * What vm-exec adds to a cold start: pairs of (the same kernel to a bare `/init`, a cold `startVm()` to its
 * first exec result), interleaved so that a change in the machine's load hits both alike; the row is the
 * per-pair difference. Each pair also splits it with one more bare boot, over vm-exec's initramfs files and
 * loading its modules as its init does (what no init step can save); the rest is the init's own steps, the
 * root, the first exec and the host's side.
 *
 * With BENCH_BASELINE_DIST=<another build's dist/> (e.g. main's: `git worktree add /tmp/base main`, then in it
 * `npm ci && npm run build`), each pair also times that build's cold start, and each build's start from a
 * snapshot (a change must not slow those), in turn and in alternating order: the rows of both builds, and
 * per pair this build's time less the baseline's and divided by it. Both builds use one private cache
 * directory (each its own initramfs and snapshot), removed afterwards.
 */
import { dir } from 'tmp-promise';
import type { VmOptions } from '../src/index.js';
import { bootBareInit, breakdownInitramfs } from './bare-init.js';
import { workspacePaths } from '../src/lifecycle/workspace.js';
import { loadBaselineStartVm, type StartVm, startThisVm, timeFirstResult } from './first-result.js';
import { rawBootSetup } from './raw-boot.js';
import type { BenchRow } from './table.js';

export async function benchColdOverhead(pairs: number): Promise<BenchRow[]> {
	const setup = await rawBootSetup();
	const baseline = await loadBaselineStartVm();
	const cache = await dir({ prefix: 'vm-exec-bench-cold-', unsafeCleanup: true });
	try {
		const cold: VmOptions = { cacheDir: cache.path, snapshot: false };
		const fromSnapshot: VmOptions = { cacheDir: cache.path };
		const builds: Array<[name: 'this' | 'baseline', start: StartVm]> = [['this', startThisVm]];
		if (baseline) builds.push(['baseline', baseline]);
		// Warm-up, outside the samples: each build's initramfs, the vmlinux, and each build's snapshot.
		for (const [, start] of builds) {
			await timeFirstResult(start, cold);
			if (baseline) await timeFirstResult(start, fromSnapshot);
		}
		const overhead = { this: [] as number[], baseline: [] as number[] };
		const overheadCpu = { this: [] as number[], baseline: [] as number[] };
		const coldMs = { this: [] as number[], baseline: [] as number[] };
		const coldCpuMs = { this: [] as number[], baseline: [] as number[] };
		const snapshotMs = { this: [] as number[], baseline: [] as number[] };
		const initramfs = await breakdownInitramfs(cache.path, setup.plan(workspacePaths(cache.path)).initramfs);
		const split = { modules: [] as number[], rest: [] as number[] };
		for (let pair = 0; pair < pairs; pair++) {
			// The bare boots, then the cold starts; in every other pair the other way round.
			const bareBoots = async () => ({
				bare: await bootBareInit(setup, initramfs.bare),
				modules: await bootBareInit(setup, initramfs.modules),
			});
			const boots = pair % 2 === 0 ? await bareBoots() : undefined;
			// Alternate which build goes first, so that neither always follows the bare boot.
			const order = pair % 2 === 0 ? builds : [...builds].reverse();
			const results: Partial<Record<'this' | 'baseline', { ms: number; cpuMs: number }>> = {};
			for (const [name, start] of order) results[name] = await timeFirstResult(start, cold);
			const { bare, modules } = boots ?? (await bareBoots());
			for (const [name] of builds) {
				const { ms, cpuMs } = results[name]!;
				coldMs[name].push(ms);
				coldCpuMs[name].push(cpuMs);
				overhead[name].push(ms - bare.ms);
				overheadCpu[name].push(cpuMs - bare.cpuMs);
			}
			split.modules.push(modules.ms - bare.ms);
			split.rest.push(results.this!.ms - modules.ms);
			if (baseline) for (const [name, start] of order) snapshotMs[name].push((await timeFirstResult(start, fromSnapshot)).ms);
		}
		const rows: BenchRow[] = [
			{
				metric: 'cold startVm() → first exec result, minus bare /init (paired)',
				unit: 'ms',
				samples: overhead.this,
				target: '≤ 400 ms',
			},
			{ metric: "the same in QEMU's CPU time (paired; load moves it less)", unit: 'ms', samples: overheadCpu.this },
			{
				metric: "  of which unpacking vm-exec's initramfs and loading its modules (a bare /init over it that loads them − bare)",
				unit: 'ms',
				samples: split.modules,
			},
			{ metric: "  the rest: the init's steps, the root, the first exec, the host's side", unit: 'ms', samples: split.rest },
		];
		if (!baseline) return rows;
		const minus = (a: number[], b: number[]) => a.map((value, index) => value - b[index]!);
		const percentOf = (a: number[], b: number[]) => a.map((value, index) => (100 * value) / b[index]!);
		return [
			...rows,
			{ metric: 'BASELINE build: the same, minus bare /init (paired)', unit: 'ms', samples: overhead.baseline },
			{ metric: "BASELINE build: the same in QEMU's CPU time (paired)", unit: 'ms', samples: overheadCpu.baseline },
			{ metric: 'cold start to first result: this build − BASELINE (paired)', unit: 'ms', samples: minus(coldMs.this, coldMs.baseline) },
			{ metric: 'cold start to first result: this build ÷ BASELINE (paired)', unit: '%', samples: percentOf(coldMs.this, coldMs.baseline) },
			{
				metric: "cold start, QEMU's CPU time to first result: this build − BASELINE (paired)",
				unit: 'ms',
				samples: minus(coldCpuMs.this, coldCpuMs.baseline),
			},
			{ metric: 'from a snapshot → first exec result: this build', unit: 'ms', samples: snapshotMs.this },
			{ metric: 'from a snapshot → first exec result: BASELINE build', unit: 'ms', samples: snapshotMs.baseline },
			{
				metric: 'from a snapshot: this build ÷ BASELINE (paired)',
				unit: '%',
				samples: percentOf(snapshotMs.this, snapshotMs.baseline),
				target: 'not slower',
			},
		];
	} finally {
		await cache.cleanup();
	}
}
