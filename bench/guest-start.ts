/**
 * What the guest's hand-over and its complete system (issue 23) cost: a VM's start to its first exec result,
 * cold and from a snapshot, and `exec('true')` in a running VM, for this build and, with
 * BENCH_BASELINE_DIST=<another build's dist/>, for that one in the same loop, sample by sample
 * (interleaved), so a change in the machine's load hits both alike. BENCH_ONLY=guest runs it.
 * Uses a private cache directory, removed afterwards.
 */
import { dir } from 'tmp-promise';
import type { VmOptions } from '../src/index.js';
import { loadBaselineStartVm, type StartVm, startThisVm, timeFirstResult } from './first-result.js';
import type { BenchRow } from './table.js';

/** The median of `execs` runs of exec('true') in one VM. */
async function timeExecTrue(start: StartVm, options: VmOptions, execs: number): Promise<number[]> {
	const vm = await start(options);
	try {
		await vm.exec('true');
		const samples: number[] = [];
		for (let index = 0; index < execs; index++) {
			const started = performance.now();
			await vm.exec('true');
			samples.push(performance.now() - started);
		}
		return samples;
	} finally {
		await vm.close();
	}
}

export async function benchGuestStart(options: { boots: number; execs: number }): Promise<BenchRow[]> {
	const baseline = await loadBaselineStartVm();
	const cache = await dir({ prefix: 'vm-exec-bench-guest-', unsafeCleanup: true });
	try {
		const cacheDir = cache.path;
		const builds: Array<[string, StartVm]> = [
			['', startThisVm],
			...(baseline ? [['BASELINE build: ', baseline] as [string, StartVm]] : []),
		];
		const kinds: Array<[string, VmOptions]> = [
			['cold boot → first exec result', { cacheDir, snapshot: false }],
			['from a snapshot → first exec result', { cacheDir }],
		];
		// Warm-up: kernel, initramfs and snapshots of both builds, outside the samples.
		for (const [, start] of builds) for (const [, vmOptions] of kinds) await timeFirstResult(start, vmOptions);
		const samples = new Map<string, number[]>();
		const add = (name: string, values: number[]) => samples.set(name, [...(samples.get(name) ?? []), ...values]);
		for (let index = 0; index < options.boots; index++) {
			for (const [label, start] of builds) {
				for (const [name, vmOptions] of kinds) add(`${label}${name}`, [(await timeFirstResult(start, vmOptions)).ms]);
			}
		}
		for (const [label, start] of builds)
			add(`${label}exec('true') in a VM from a snapshot`, await timeExecTrue(start, { cacheDir }, options.execs));
		return [...samples].map(([metric, values]) => ({ metric, unit: 'ms', samples: values }));
	} finally {
		await cache.cleanup();
	}
}
