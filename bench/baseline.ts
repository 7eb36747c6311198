/**
 * This build against another (`BENCH_BASELINE_DIST=<its dist/>`, e.g. main's: `git worktree add /tmp/base
 * main`, then in it `npm ci && npm run build`), on the figures a change must not slow: a cold boot and a
 * fresh VM from a snapshot to its first exec result, and the `exec('true')` round trip. Interleaved: each
 * round boots one VM of each build cold, then starts one of each from its snapshot (alternating which goes
 * first), then runs the round trips in both VMs in turn, so a change in the machine's load hits both alike.
 * Rows: each build's median, and this build ÷ the baseline per round. Both builds use one private cache
 * (each its own initramfs and snapshot), removed afterwards.
 * `BENCH_ONLY=baseline`; BENCH_BOOTS rounds, BENCH_EXECS round trips a VM a round.
 */
import { dir } from 'tmp-promise';
import type { VmOptions } from '../src/index.js';
import { loadBaselineStartVm, type StartVm, startThisVm } from './first-result.js';
import { type BenchRow, median } from './table.js';

type Started = Awaited<ReturnType<StartVm>>;

async function startTimed(start: StartVm, options: VmOptions): Promise<{ vm: Started; ms: number }> {
	const started = performance.now();
	const vm = await start(options);
	await vm.exec('true');
	return { vm, ms: performance.now() - started };
}

async function roundTripMs(vm: Started): Promise<number> {
	const started = performance.now();
	await vm.exec('true');
	return performance.now() - started;
}

export async function benchBaseline(options: { rounds: number; execs: number }): Promise<BenchRow[]> {
	const baseline = await loadBaselineStartVm();
	if (!baseline) {
		process.stderr.write("bench baseline: set BENCH_BASELINE_DIST to another build's dist/ (skipped)\n");
		return [];
	}
	const cache = await dir({ prefix: 'vm-exec-bench-baseline-', unsafeCleanup: true });
	try {
		const vmOptions: VmOptions = { cacheDir: cache.path };
		const builds = { this: startThisVm, baseline };
		// Each build's initramfs and snapshot, outside the samples.
		for (const start of Object.values(builds)) {
			await (await startTimed(start, { ...vmOptions, snapshot: false })).vm.close();
			await (await startTimed(start, vmOptions)).vm.close();
		}
		const coldMs = { this: [] as number[], baseline: [] as number[] };
		const startMs = { this: [] as number[], baseline: [] as number[] };
		const execMs = { this: [] as number[], baseline: [] as number[] };
		const startRatio: number[] = [];
		const execRatio: number[] = [];
		for (let round = 0; round < options.rounds; round++) {
			const order = (round % 2 === 0 ? ['this', 'baseline'] : ['baseline', 'this']) as Array<keyof typeof builds>;
			for (const name of order) {
				const { vm, ms } = await startTimed(builds[name], { ...vmOptions, snapshot: false });
				await vm.close();
				coldMs[name].push(ms);
			}
			const vms: Partial<Record<keyof typeof builds, Started>> = {};
			try {
				for (const name of order) {
					const { vm, ms } = await startTimed(builds[name], vmOptions);
					if (vm.bootedFrom !== 'snapshot') throw new Error(`the ${name} build booted ${vm.bootedFrom}, not from its snapshot`);
					vms[name] = vm;
					startMs[name].push(ms);
				}
				const roundExec = { this: [] as number[], baseline: [] as number[] };
				for (let exec = 0; exec < options.execs; exec++) {
					for (const name of order) roundExec[name].push(await roundTripMs(vms[name]!));
				}
				for (const name of order) execMs[name].push(...roundExec[name]);
				startRatio.push((startMs.this.at(-1)! / startMs.baseline.at(-1)!) * 100);
				execRatio.push((median(roundExec.this) / median(roundExec.baseline)) * 100);
			} finally {
				await Promise.all(Object.values(vms).map((vm) => vm.close()));
			}
		}
		return [
			{ metric: 'cold boot → first exec result: this build', unit: 'ms', samples: coldMs.this },
			{ metric: 'cold boot → first exec result: baseline', unit: 'ms', samples: coldMs.baseline },
			{ metric: 'VM from a snapshot → first exec result: this build', unit: 'ms', samples: startMs.this },
			{ metric: 'VM from a snapshot → first exec result: baseline', unit: 'ms', samples: startMs.baseline },
			{ metric: 'VM from a snapshot: this ÷ baseline, per round', unit: '%', samples: startRatio },
			{ metric: "exec('true') round trip: this build", unit: 'ms', samples: execMs.this },
			{ metric: "exec('true') round trip: baseline", unit: 'ms', samples: execMs.baseline },
			{ metric: "exec('true'): this ÷ baseline, median per round", unit: '%', samples: execRatio },
		];
	} finally {
		await cache.cleanup();
	}
}
