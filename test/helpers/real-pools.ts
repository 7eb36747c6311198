/**
 * Warm pools of real VMs for the pool's integration tests: each test's pools and the VMs it was handed are
 * closed after it, also when it failed.
 */
import { afterEach } from 'vitest';
import type { Vm } from '../../src/index.js';
import { resolveBudgetMiB } from '../../src/options/environment.js';
import { WarmPool } from '../../src/pool/warm-pool.js';

/** Call at the top of a test file: `newPool()` gives a pool, and VMs pushed on `handedOut` are closed too. */
export function useRealPools(): { newPool: () => WarmPool; handedOut: Vm[] } {
	const pools: WarmPool[] = [];
	const handedOut: Vm[] = [];
	afterEach(async () => {
		await Promise.all(pools.splice(0).map((pool) => pool.close()));
		await Promise.all(handedOut.splice(0).map((vm) => vm.close()));
	});
	const newPool = () => {
		const pool = new WarmPool({ idleMs: 60_000, budgetMiB: resolveBudgetMiB() });
		pools.push(pool);
		return pool;
	};
	return { newPool, handedOut };
}

/** Polls `condition` every 100 ms for up to `ms`; resolves with its last value (bounded, never throws). */
export async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (condition()) return true;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return condition();
}
