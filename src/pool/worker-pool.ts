/**
 * The one warm pool of a test worker. Kept on `globalThis` so that it outlives a test file's module
 * graph (Vitest re-evaluates modules per file by default) and options used in one file can be pooled
 * for the next file the worker runs.
 */
import { resolveBudgetMiB, resolveIdleMs } from './policy.js';
import { WarmPool } from './warm-pool.js';

const KEY = Symbol.for('vm-exec.warm-pool');

/** This worker's warm pool, created on first use with `VM_EXEC_POOL_IDLE` and `VM_EXEC_POOL_MEMORY`. */
export function workerPool(): WarmPool {
	const holder = globalThis as { [KEY]?: WarmPool };
	holder[KEY] ??= new WarmPool({ idleMs: resolveIdleMs(), budgetMiB: resolveBudgetMiB() });
	return holder[KEY];
}
