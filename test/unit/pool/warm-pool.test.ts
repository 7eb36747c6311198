import { describe, expect, it } from 'vitest';
import type { VmOptions } from '../../../src/options.js';
import type { Vm } from '../../../src/vm/vm.js';
import { WarmPool, type WarmPoolSettings } from '../../../src/pool/warm-pool.js';

/** A stand-in for a started VM: the pool only looks at `closed`, `pid` and `close()`. */
interface FakeVm {
	pid: number;
	closed: boolean;
	options: VmOptions;
	close(): Promise<void>;
}

function fakeStarter(fail = () => false) {
	const started: FakeVm[] = [];
	const start = async (options: VmOptions): Promise<Vm> => {
		await new Promise((resolve) => setTimeout(resolve, 5));
		if (fail()) throw new Error('boot failed');
		const vm: FakeVm = {
			// A live process (this one): the pool reads its state from /proc.
			pid: process.pid,
			closed: false,
			options,
			async close() {
				this.closed = true;
			},
		};
		started.push(vm);
		return vm as unknown as Vm;
	};
	return { started, start };
}

function poolWith(start: WarmPoolSettings['start'], settings: Partial<WarmPoolSettings> = {}) {
	return new WarmPool({
		idleMs: 60_000,
		budgetMiB: 10_000,
		start,
		residentMiB: async () => 150,
		availableMiB: async () => 8000,
		...settings,
	});
}

/** Let the background start (a few timers) finish. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('warm pool', () => {
	it('starts the next VM of the same options after handing one out, and hands that one out next', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		const first = await pool.acquire({}, { scope: 'a' });
		expect(first.source).toBe('fresh');
		await settle();
		expect(started).toHaveLength(2);
		expect(pool.waiting).toBe(1);
		const second = await pool.acquire({}, { scope: 'a' });
		expect(second.source).toBe('pool');
		expect(second.vm).toBe(started[1]);
		await pool.close();
	});

	it('never hands a VM of other options out', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({ memory: '256M' });
		await settle();
		const other = await pool.acquire({ memory: '512M' });
		expect(other.source).toBe('fresh');
		expect((other.vm as unknown as FakeVm).options).toEqual({ memory: '512M' });
		expect(started[1]!.closed).toBe(false);
		await pool.close();
		// The waiting 256M VM is the pool's to close; the two handed out are their callers'.
		expect(started[1]!.closed).toBe(true);
		expect(started.filter((vm) => vm.closed)).toHaveLength(1);
	});

	it('starts nothing in the background with size 0', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({ pool: 0 });
		await pool.acquire({ pool: 0 });
		await settle();
		expect(started).toHaveLength(2);
		expect(pool.waiting).toBe(0);
	});

	it('passes neither the caller signal nor its progress callback to a background start', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({ signal: new AbortController().signal, onProgress: () => {} });
		await settle();
		expect(started[1]!.options.signal).toBeUndefined();
		expect(started[1]!.options.onProgress).toBeUndefined();
		await pool.close();
	});

	it('does not hand out a VM that died while waiting, and replaces it', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({});
		await settle();
		started[1]!.closed = true;
		await new Promise((resolve) => setTimeout(resolve, 700));
		expect(pool.waiting).toBe(1);
		const next = await pool.acquire({});
		expect(next.vm).not.toBe(started[1]);
		expect((next.vm as unknown as FakeVm).closed).toBe(false);
		await pool.close();
	});

	it('falls back to a fresh VM when the background start failed', async () => {
		let calls = 0;
		const { start } = fakeStarter(() => ++calls === 2);
		const pool = poolWith(start);
		await pool.acquire({});
		await settle();
		const next = await pool.acquire({});
		expect(next.source).toBe('fresh');
		await pool.close();
	});

	it('closes the waiting VMs of a scope when it ends, and keeps the others', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({ cpus: 1, pool: 2 }, { scope: 'file-a' });
		await pool.acquire({ cpus: 2, pool: 2 }, { scope: 'file-b' });
		await settle();
		expect(pool.waiting).toBe(2);
		await pool.endScope('file-a');
		expect(pool.waiting).toBe(1);
		expect(started.filter((vm) => vm.closed).map((vm) => vm.options.cpus)).toEqual([1]);
		await pool.close();
		expect(pool.waiting).toBe(0);
	});

	it('closes a waiting VM that no one took within the idle limit', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start, { idleMs: 30 });
		await pool.acquire({});
		await settle();
		await settle();
		expect(pool.waiting).toBe(0);
		expect(started[1]!.closed).toBe(true);
	});

	it('starts none beyond the memory budget', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start, { budgetMiB: 100 });
		await pool.acquire({});
		await settle();
		expect(started).toHaveLength(1);
	});

	it('closes a VM whose background start finished after the pool closed', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({});
		await pool.close();
		await settle();
		expect(started.slice(1).every((vm) => vm.closed)).toBe(true);
	});
});
