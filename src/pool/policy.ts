/**
 * The warm pool's rules, as pure functions: which options may be pooled and under which key, how many
 * VMs may wait, and whether one more fits in the memory budget. The parts that start and close VMs are
 * listed in warm-pool.ts (refill.ts applies these rules). The pool size, idle limit and memory budget come
 * from the options gate (options/pool-options.ts, options/environment.ts).
 */
import type { NormalizedVmOptions } from '../options.js';

/** Never start a VM in the background when the host has less memory available than this (MiB) after it. */
export const MIN_FREE_AFTER_MIB = 256;

/**
 * The key under which VMs of these options wait, or why they cannot wait at all. Two option sets share a
 * key only when they start identical VMs: every option takes part but the per-start ones (`signal`
 * aborts one start; `onProgress` only reports on it) and `pool` (it does not change the VM).
 */
export function poolKeyOf(options: NormalizedVmOptions): { key: string } | { reason: string } {
	// A LAN address is handed out in start order: a VM started early would take the next test's address.
	if (options.lan) return { reason: 'a VM on a `lan` gets its address in start order' };
	if (options.launcher) return { reason: 'a `launcher` VM has nothing to start ahead' };
	// A VM started ahead would hold the same image files open while the running test's VM writes them.
	if (options.disks.length > 0) return { reason: 'a VM with `disks` would share its image files with the running one' };
	// A background boot printing its console would interleave with the running test's output.
	if (options.console === 'inherit') return { reason: "`console: 'inherit'` would print a background boot" };
	const { signal: _signal, onProgress: _onProgress, pool: _pool, ...rest } = options;
	return { key: stableStringify(rest) };
}

function stableStringify(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
	if (value && typeof value === 'object') {
		const entries = Object.entries(value as Record<string, unknown>)
			.filter(([, v]) => v !== undefined)
			.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
		return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
	}
	return JSON.stringify(value) ?? 'undefined';
}

/** What the refill decision looks at. */
export interface RefillInput {
	/** The pool size (0: off). */
	size: number;
	/** VMs waiting or starting in the background, all keys together. */
	waiting: number;
	/** Resident memory of the waiting VMs (MiB), counting a VM still starting at its estimate. */
	waitingMiB: number;
	/** The resident memory one more VM of this key is expected to take (MiB). */
	estimateMiB: number;
	/** The worker's budget for waiting VMs (MiB). */
	budgetMiB: number;
	/** Memory the host has available now (MiB). */
	availableMiB: number;
}

/** Whether one more VM may start in the background, and if not, why (for the debug log). */
export function decideRefill(input: RefillInput): { start: true } | { start: false; reason: string } {
	if (input.size <= 0) return { start: false, reason: 'the pool is off' };
	if (input.waiting >= input.size) return { start: false, reason: `${input.waiting} VM(s) already wait (pool: ${input.size})` };
	if (input.waitingMiB + input.estimateMiB > input.budgetMiB) {
		return {
			start: false,
			reason: `the waiting VMs would hold ${Math.round(input.waitingMiB + input.estimateMiB)} MiB, over the budget of ${Math.round(input.budgetMiB)} MiB`,
		};
	}
	if (input.availableMiB - input.estimateMiB < MIN_FREE_AFTER_MIB) {
		return { start: false, reason: `the host has only ${Math.round(input.availableMiB)} MiB available` };
	}
	return { start: true };
}

/**
 * How much resident memory a VM of these options is expected to take before one was measured: QEMU's
 * own share plus what a freshly booted guest touches, never more than its whole RAM plus QEMU's share.
 */
export function estimateResidentMiB(memoryMiB: number, measuredMiB: number | undefined): number {
	if (measuredMiB !== undefined) return measuredMiB;
	return Math.min(memoryMiB, 128) + 64;
}
