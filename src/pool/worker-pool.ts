/**
 * The one warm pool of a test worker. Kept on `globalThis` so that it outlives a test file's module
 * graph (Vitest re-evaluates modules per file by default) and options used in one file can be pooled
 * for the next file the worker runs.
 */
import { readPoolEnvironment } from '../options/environment.js';
import { WarmPool } from './warm-pool.js';

const KEY = Symbol.for('vm-exec.warm-pool');

/** This worker's warm pool, created on first use with `VM_EXEC_POOL_IDLE`, `VM_EXEC_POOL_MEMORY` and `VM_EXEC_POOL_NICE`. */
export function workerPool(): WarmPool {
	const holder = globalThis as { [KEY]?: WarmPool };
	if (!holder[KEY]) {
		const { idleMs, budgetMiB, nice } = readPoolEnvironment();
		holder[KEY] = new WarmPool({ idleMs, budgetMiB, ...(nice ? {} : { lowerPriority: () => false }) });
	}
	return holder[KEY];
}
