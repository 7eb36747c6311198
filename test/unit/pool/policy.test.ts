import { describe, expect, it } from 'vitest';
import { normalizeOptions, type VmOptions } from '../../../src/options.js';
import { resolveBudgetMiB, resolveIdleMs } from '../../../src/options/environment.js';
import { DEFAULT_POOL_SIZE, resolvePoolSize } from '../../../src/options/pool-options.js';
import { decideRefill, estimateResidentMiB, poolKeyOf, type RefillInput } from '../../../src/pool/policy.js';

const keyOf = (options: VmOptions) => poolKeyOf(normalizeOptions(options));

describe('pool size', () => {
	it('is 1 by default', () => {
		expect(resolvePoolSize(undefined, undefined)).toBe(DEFAULT_POOL_SIZE);
		expect(DEFAULT_POOL_SIZE).toBe(1);
	});

	it('takes the option, and VM_EXEC_POOL over it (0 turns the pool off)', () => {
		expect(resolvePoolSize(3, undefined)).toBe(3);
		expect(resolvePoolSize(3, '0')).toBe(0);
		expect(resolvePoolSize(undefined, '')).toBe(1);
	});

	it('rejects a bad option or variable with the gate message', () => {
		expect(() => resolvePoolSize(-1, undefined)).toThrow('Expected the `pool` option to be a whole number from 0 to 16, got `-1`.');
		expect(() => resolvePoolSize(1.5, undefined)).toThrow(TypeError);
		expect(() => resolvePoolSize(undefined, 'many')).toThrow('VM_EXEC_POOL');
	});
});

describe('idle limit and memory budget', () => {
	it('reads VM_EXEC_POOL_IDLE in ms', () => {
		expect(resolveIdleMs('5000')).toBe(5000);
		expect(() => resolveIdleMs('soon')).toThrow(TypeError);
	});

	it('defaults the budget to a quarter of the total memory, or reads VM_EXEC_POOL_MEMORY in MiB', () => {
		expect(resolveBudgetMiB(undefined, 8 * 2 ** 30)).toBe(2048);
		expect(resolveBudgetMiB('300', 8 * 2 ** 30)).toBe(300);
		expect(() => resolveBudgetMiB('-1')).toThrow(TypeError);
	});
});

describe('pool key', () => {
	it('is the same for options that start the same VM', () => {
		expect(keyOf({})).toEqual(keyOf({ memory: '256M', cpus: 1 }));
		expect(keyOf({ env: { A: '1', B: '2' } })).toEqual(keyOf({ env: { B: '2', A: '1' } }));
	});

	it('ignores the per-start signal and progress callback, and the pool size', () => {
		expect(keyOf({ signal: new AbortController().signal, onProgress: () => {}, pool: 3 })).toEqual(keyOf({}));
	});

	it('differs when any VM option differs', () => {
		const base = keyOf({});
		for (const options of [
			{ memory: '512M' },
			{ cpus: 2 },
			{ shared: true },
			{ env: { A: '1' } },
			{ network: true },
			{ snapshot: false as const },
		]) {
			expect(keyOf(options)).not.toEqual(base);
		}
	});

	it('refuses options whose VM cannot be started ahead', () => {
		expect(keyOf({ lan: 'net' })).toHaveProperty('reason');
		expect(keyOf({ console: 'inherit' })).toHaveProperty('reason');
		expect(keyOf({ disks: ['/tmp/image.raw'] })).toHaveProperty('reason');
	});
});

describe('refill decision', () => {
	const input: RefillInput = { size: 1, waiting: 0, waitingMiB: 0, estimateMiB: 150, budgetMiB: 1000, availableMiB: 4000 };

	it('starts one when the pool has room, budget and the host has memory', () => {
		expect(decideRefill(input)).toEqual({ start: true });
	});

	it('starts none when the pool is off or full', () => {
		expect(decideRefill({ ...input, size: 0 })).toMatchObject({ start: false, reason: 'the pool is off' });
		expect(decideRefill({ ...input, waiting: 1 })).toMatchObject({ start: false });
		expect(decideRefill({ ...input, size: 2, waiting: 1 })).toEqual({ start: true });
	});

	it('counts the waiting VMs resident memory against the budget', () => {
		expect(decideRefill({ ...input, size: 4, waiting: 2, waitingMiB: 900 })).toMatchObject({
			start: false,
			reason: expect.stringContaining('budget'),
		});
		expect(decideRefill({ ...input, size: 4, waiting: 2, waitingMiB: 850 })).toEqual({ start: true });
	});

	it('starts none when the host is short of memory', () => {
		expect(decideRefill({ ...input, availableMiB: 300 })).toMatchObject({ start: false, reason: expect.stringContaining('available') });
	});

	it('estimates a VM not yet measured from its RAM, and prefers a measurement', () => {
		expect(estimateResidentMiB(256, undefined)).toBe(192);
		expect(estimateResidentMiB(64, undefined)).toBe(128);
		expect(estimateResidentMiB(256, 140)).toBe(140);
	});
});
