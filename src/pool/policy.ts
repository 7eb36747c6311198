/**
 * The warm pool's rules, as pure functions: which options may be pooled and under which key, how many
 * VMs may wait, and whether one more fits in the memory budget. The parts that start and close VMs are
 * listed in warm-pool.ts (refill.ts applies these rules).
 */
import os from 'node:os';
import type { NormalizedVmOptions } from '../options.js';

/** At most this many VMs wait per worker unless `pool` or `VM_EXEC_POOL` says otherwise. */
export const DEFAULT_POOL_SIZE = 1;
/** A waiting VM that no test takes within this time is closed (ms); `VM_EXEC_POOL_IDLE` overrides it. */
export const DEFAULT_IDLE_MS = 30_000;
/** Share of the host's total memory that the waiting VMs of one worker may hold at most. */
export const DEFAULT_BUDGET_SHARE = 0.25;
/** Never start a VM in the background when the host has less memory available than this (MiB) after it. */
export const MIN_FREE_AFTER_MIB = 256;

/**
 * The pool size from the `pool` option and `VM_EXEC_POOL` (the variable wins, so `VM_EXEC_POOL=0` turns
 * every pool off without editing a test). Throws the options gate's TypeError on a bad value.
 */
export function resolvePoolSize(option: number | undefined, env: string | undefined = process.env.VM_EXEC_POOL): number {
	if (env !== undefined && env !== '') {
		const value = Number(env);
		if (!Number.isInteger(value) || value < 0 || value > 16) {
			throw new TypeError(`Expected the VM_EXEC_POOL environment variable to be a whole number from 0 to 16, got \`${env}\`.`);
		}
		return value;
	}
	if (option === undefined) return DEFAULT_POOL_SIZE;
	if (typeof option !== 'number' || !Number.isInteger(option) || option < 0 || option > 16) {
		throw new TypeError(`Expected the \`pool\` option to be a whole number from 0 to 16, got \`${String(option)}\`.`);
	}
	return option;
}

/** The idle limit from `VM_EXEC_POOL_IDLE` (ms), else the default. */
export function resolveIdleMs(env: string | undefined = process.env.VM_EXEC_POOL_IDLE): number {
	if (env === undefined || env === '') return DEFAULT_IDLE_MS;
	const value = Number(env);
	if (!Number.isInteger(value) || value < 0) {
		throw new TypeError(`Expected the VM_EXEC_POOL_IDLE environment variable to be a number of milliseconds, got \`${env}\`.`);
	}
	return value;
}

/**
 * The memory budget of one worker's waiting VMs (MiB): `VM_EXEC_POOL_MEMORY`, else a quarter of the
 * host's total memory.
 */
export function resolveBudgetMiB(env: string | undefined = process.env.VM_EXEC_POOL_MEMORY, totalBytes = os.totalmem()): number {
	if (env === undefined || env === '') return Math.floor((totalBytes / 2 ** 20) * DEFAULT_BUDGET_SHARE);
	const value = Number(env);
	if (!Number.isFinite(value) || value < 0) {
		throw new TypeError(`Expected the VM_EXEC_POOL_MEMORY environment variable to be a number of MiB, got \`${env}\`.`);
	}
	return value;
}

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
