/**
 * Timing a VM's start to its first exec result, for the benches that compare starts: this build's
 * `startVm`, or another build's (`BENCH_BASELINE_DIST=<its dist/>`) in the same loop.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startVm, type VmOptions } from '../src/index.js';
import { cpuTimeMs } from './raw-boot.js';

/** What the benches use of a build's `startVm` (this one's, or a baseline build's). */
export type StartVm = (
	options: VmOptions,
) => Promise<{ exec(script: string): Promise<unknown>; close(): Promise<void>; pid: number | undefined; bootedFrom: string }>;

export const startThisVm = startVm as StartVm;

/** The baseline build's `startVm`, from `BENCH_BASELINE_DIST`; undefined when it is not set. */
export async function loadBaselineStartVm(): Promise<StartVm | undefined> {
	const dist = process.env.BENCH_BASELINE_DIST;
	if (!dist) return undefined;
	return ((await import(pathToFileURL(path.join(path.resolve(dist), 'index.js')).href)) as { startVm: StartVm }).startVm;
}

/**
 * start → first exec result → close: the wall time to the result, the CPU time QEMU had used by then (what
 * the guest's work costs, much less moved by other jobs on the machine), and how the VM started.
 */
export async function timeFirstResult(start: StartVm, options: VmOptions): Promise<{ ms: number; cpuMs: number; bootedFrom: string }> {
	const started = performance.now();
	const vm = await start(options);
	try {
		await vm.exec('true');
		const ms = performance.now() - started;
		return { ms, cpuMs: vm.pid === undefined ? Number.NaN : cpuTimeMs(vm.pid), bootedFrom: vm.bootedFrom };
	} finally {
		await vm.close();
	}
}
