import { describe, expect, it } from 'vitest';
import type { NormalizedVmOptions } from '../../../src/options.js';
import type { StartSettings } from '../../../src/start-vm.js';
import type { Vm } from '../../../src/vm/vm.js';
import { WarmPool, type WarmPoolSettings } from '../../../src/pool/warm-pool.js';
import type { LaunchPriority } from '../../../src/qemu/launch-priority.js';
import { within } from '../../helpers/within.js';

/** The bound of every wait here: each event comes within milliseconds, or (a dead VM's replacement) one watch round. */
const WAIT_MS = 3000;

/** One turn of the event loop: every promise the pool chained on what just happened has run by then. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * What the fakes report: a start asked for, done or failed, a warm-up begun, a close. A test waits for the state
 * it needs (`until`), which the events bring, rather than for a time that a slow machine may not keep.
 */
const events = new (class {
	readonly #waiters = new Set<() => void>();

	notify(): void {
		for (const waiter of [...this.#waiters]) waiter();
	}

	/** Once `condition()` holds (now or after an event) and the pool has reacted to it; rejects, naming `what`, after WAIT_MS. */
	async until(condition: () => boolean, what: string): Promise<void> {
		let waiter = () => {};
		try {
			await within(
				WAIT_MS,
				new Promise<void>((resolve) => {
					waiter = () => void (condition() && resolve());
					this.#waiters.add(waiter);
					waiter();
				}),
				what,
			);
		} finally {
			this.#waiters.delete(waiter);
		}
		await turn();
	}
})();

/** A stand-in for a started VM: the pool only looks at `closed`, `pid` and `close()`. */
interface FakeVm {
	pid: number;
	closed: boolean;
	options: NormalizedVmOptions;
	close(): Promise<void>;
}

function fakeStarter(fail = () => false) {
	const started: FakeVm[] = [];
	/** Starts asked for and not yet settled. */
	const pending = new Set<Promise<unknown>>();
	let failed = 0;
	let asked = 0;
	const boot = async (options: NormalizedVmOptions): Promise<Vm> => {
		await new Promise((resolve) => setTimeout(resolve, 5));
		if (fail()) throw new Error('boot failed');
		const vm: FakeVm = {
			// A live process (this one): the pool reads its state from /proc.
			pid: process.pid,
			closed: false,
			options,
			async close() {
				this.closed = true;
				events.notify();
			},
		};
		started.push(vm);
		return vm as unknown as Vm;
	};
	const start = (options: NormalizedVmOptions, _settings?: StartSettings): Promise<Vm> => {
		const starting = boot(options);
		asked++;
		pending.add(starting);
		events.notify();
		starting
			.then(
				() => {},
				() => void failed++,
			)
			.finally(() => {
				pending.delete(starting);
				events.notify();
			});
		return starting;
	};
	/**
	 * Once every start asked for so far has settled, and the pool decided what follows (a start ahead
	 * it decides on is asked for at once, and waited for too): for a test that checks what did NOT start.
	 */
	const quiet = async () => {
		for (await turn(); pending.size > 0; await turn()) await within(WAIT_MS, Promise.allSettled([...pending]), 'the starts in flight');
	};
	return { started, start, quiet, askedStarts: () => asked, failedStarts: () => failed };
}

function poolWith(start: WarmPoolSettings['start'], settings: Partial<WarmPoolSettings> = {}) {
	return new WarmPool({
		idleMs: 60_000,
		budgetMiB: 10_000,
		start,
		residentMiB: async () => 150,
		availableMiB: async () => 8000,
		lowerPriority: () => false,
		warmUp: async () => {},
		...settings,
	});
}

/** A pool that lowers priorities, and the launch priority each of its starts ran under, in start order. */
function poolRecordingPriorities() {
	const priorities: Array<LaunchPriority | undefined> = [];
	const { start } = fakeStarter();
	const pool = poolWith(
		async (options, settings) => {
			// What launchQemu would do with it: start low only while the priority is lowered.
			priorities.push(settings.launchPriority?.lowered ? settings.launchPriority : undefined);
			events.notify();
			return start(options);
		},
		{ lowerPriority: () => true },
	);
	return { priorities, pool };
}

describe('warm pool', () => {
	it('warms up the VMs it starts ahead before they wait, and not the one started for the caller', async () => {
		const { started, start } = fakeStarter();
		const warmed: Vm[] = [];
		const pool = poolWith(start, {
			warmUp: async (vm) => {
				warmed.push(vm);
				events.notify();
			},
		});
		const first = await pool.acquire({}, { scope: 'a' });
		await events.until(() => warmed.length > 0, 'the warm-up of the VM started ahead');
		expect(started).toHaveLength(2);
		expect(warmed).toEqual([started[1]]);
		expect(warmed).not.toContain(first.vm);
		await pool.close();
	});

	it('cuts a running warm-up short when a test takes the VM, rather than make the test wait for it', async () => {
		const { started, start } = fakeStarter();
		const warmUps: AbortSignal[] = [];
		// A warm-up that would never end on its own: only the take can end it.
		const warmUp = (_vm: Vm, signal: AbortSignal) =>
			new Promise<void>((resolve) => {
				warmUps.push(signal);
				events.notify();
				if (signal.aborted) resolve();
				signal.addEventListener('abort', () => resolve(), { once: true });
			});
		const pool = poolWith(start, { warmUp });
		await pool.acquire({}, { scope: 'a' });
		await events.until(() => warmUps.length > 0, 'the warm-up of the VM started ahead');
		expect(warmUps).toHaveLength(1);
		expect(warmUps[0]!.aborted).toBe(false);
		// Bounded: without the cut the take would wait for this warm-up for ever.
		const second = await Promise.race([
			pool.acquire({}, { scope: 'a' }),
			new Promise((_resolve, reject) => setTimeout(() => reject(new Error('the take waited for the warm-up')), WAIT_MS).unref()),
		]);
		expect(second).toEqual({ vm: started[1], source: 'pool' });
		expect(warmUps[0]!.aborted).toBe(true);
		await pool.close();
	});

	it('skips the warm-up of a VM a test took while it was still booting', async () => {
		const { started, start } = fakeStarter();
		let finishBoot: () => void = () => {};
		const booting = new Promise<void>((resolve) => (finishBoot = resolve));
		const calls: NormalizedVmOptions[] = [];
		// The first start (the caller's) is quick; the one ahead boots until the test lets it finish.
		const gatedStart = async (options: NormalizedVmOptions) => {
			calls.push(options);
			events.notify();
			if (calls.length > 1) await booting;
			return start(options);
		};
		const warmed: Vm[] = [];
		const pool = poolWith(gatedStart, { warmUp: async (vm) => void warmed.push(vm) });
		await pool.acquire({}, { scope: 'a' });
		await events.until(() => calls.length > 1, 'the start of a VM ahead');
		expect(calls).toHaveLength(2);
		const taking = pool.acquire({}, { scope: 'a' });
		finishBoot();
		const second = await taking;
		expect(second).toEqual({ vm: started[1], source: 'pool' });
		expect(warmed).toEqual([]);
		await pool.close();
	});

	it('starts the next VM of the same options after handing one out, and hands that one out next', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		const first = await pool.acquire({}, { scope: 'a' });
		expect(first.source).toBe('fresh');
		await events.until(() => started.length > 1, 'the VM started ahead');
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
		await events.until(() => started.length > 1, 'the VM started ahead');
		const other = await pool.acquire({ memory: '512M' });
		expect(other.source).toBe('fresh');
		expect((other.vm as unknown as FakeVm).options).toMatchObject({ memoryMiB: 512 });
		expect(started[1]!.closed).toBe(false);
		await pool.close();
		// The waiting 256M VM is the pool's to close; the two handed out are their callers'.
		expect(started[1]!.closed).toBe(true);
		expect(started.filter((vm) => vm.closed)).toHaveLength(1);
	});

	it('starts nothing in the background with size 0', async () => {
		const { started, start, quiet } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({ pool: 0 });
		await pool.acquire({ pool: 0 });
		await quiet();
		expect(started).toHaveLength(2);
		expect(pool.waiting).toBe(0);
	});

	it('passes neither the caller signal nor its progress callback to a background start', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		const caller = new AbortController();
		await pool.acquire({ signal: caller.signal, onProgress: () => {} });
		await events.until(() => started.length > 1, 'the VM started ahead');
		// Its own signal (aborted only when the pool drops it), never the caller's.
		expect(started[1]!.options.signal).toBeInstanceOf(AbortSignal);
		expect(started[1]!.options.signal).not.toBe(caller.signal);
		expect(started[1]!.options.onProgress).toBeUndefined();
		await pool.close();
	});

	it('does not hand out a VM that died while waiting, and replaces it', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({});
		await events.until(() => started.length > 1, 'the VM started ahead');
		started[1]!.closed = true;
		// The watch looks every 500 ms: the replacement's start is the event.
		await events.until(() => started.length > 2, 'the start of a replacement for the VM that died');
		expect(pool.waiting).toBe(1);
		const next = await pool.acquire({});
		expect(next.vm).not.toBe(started[1]);
		expect((next.vm as unknown as FakeVm).closed).toBe(false);
		await pool.close();
	});

	it('falls back to a fresh VM when the background start failed', async () => {
		let calls = 0;
		const { start, failedStarts } = fakeStarter(() => ++calls === 2);
		const pool = poolWith(start);
		await pool.acquire({});
		await events.until(() => failedStarts() > 0, 'the failure of the start ahead');
		const next = await pool.acquire({});
		expect(next.source).toBe('fresh');
		await pool.close();
	});

	it('closes the waiting VMs of a scope when it ends, and keeps the others', async () => {
		const { started, start } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({ cpus: 1, pool: 2 }, { scope: 'file-a' });
		await pool.acquire({ cpus: 2, pool: 2 }, { scope: 'file-b' });
		await events.until(() => started.length > 3, 'the two VMs started ahead');
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
		await events.until(() => started[1]?.closed === true, 'the close of the VM no one took');
		expect(pool.waiting).toBe(0);
		expect(started[1]!.closed).toBe(true);
	});

	it('starts none beyond the memory budget', async () => {
		const { started, start, quiet } = fakeStarter();
		const pool = poolWith(start, { budgetMiB: 100 });
		await pool.acquire({});
		await quiet();
		expect(started).toHaveLength(1);
	});

	it('closes a VM whose background start finished after the pool closed', async () => {
		const { started, start, quiet, askedStarts } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({});
		// Closed while the VM ahead boots (closing at once would stop the refill before it starts one).
		await events.until(() => askedStarts() > 1, 'the start of a VM ahead');
		expect(started).toHaveLength(1);
		await pool.close();
		await quiet();
		expect(started).toHaveLength(2);
		expect(started.slice(1).every((vm) => vm.closed)).toBe(true);
	});
	it('aborts a background start that its scope no longer needs, and does not count it as a failure', async () => {
		const signals: AbortSignal[] = [];
		const start = async (options: NormalizedVmOptions, _settings?: StartSettings): Promise<Vm> => {
			// The test's own VM (no signal): up at once.
			if (!options.signal) return { pid: process.pid, closed: false, close: async () => {} } as unknown as Vm;
			signals.push(options.signal!);
			events.notify();
			// A boot that only ends when it is aborted.
			return new Promise((_resolve, reject) => options.signal!.addEventListener('abort', () => reject(options.signal!.reason)));
		};
		const pool = poolWith(start);
		for (let round = 0; round < 3; round++) {
			await pool.acquire({}, { scope: `file-${round}` });
			await events.until(() => signals.length > round, 'the start of a VM ahead');
			expect(pool.waiting).toBe(1);
			await pool.endScope(`file-${round}`);
			expect(signals[round]!.aborted).toBe(true);
			expect(pool.waiting).toBe(0);
		}
		// Three aborted starts in a row, yet the pool still starts VMs ahead (it stops after two failures).
		expect(signals).toHaveLength(3);
		await pool.close();
	});

	it('closes a released VM in the background, and its scope ends only once it is closed', async () => {
		let finishClose: () => void = () => {};
		const vm = { pid: process.pid, closed: false, close: () => new Promise<void>((resolve) => (finishClose = resolve)) };
		const pool = poolWith(fakeStarter().start);
		pool.release(vm as unknown as Vm, { scope: 'file-a' });
		expect(pool.closing).toBe(1);
		let ended = false;
		const ending = pool.endScope('file-a').then(() => (ended = true));
		// Were the end not waiting for the close, it would have ended by now: nothing else is in flight.
		await turn();
		expect(ended).toBe(false);
		finishClose();
		await within(WAIT_MS, ending, 'the end of the scope once its VM closed');
		expect(pool.closing).toBe(0);
		await pool.close();
	});

	it('reports a background close that failed when its scope ends', async () => {
		const vm = { pid: process.pid, closed: false, close: async () => Promise.reject(new Error('workspace busy')) };
		const pool = poolWith(fakeStarter().start);
		pool.release(vm as unknown as Vm, { scope: 'file-a' });
		await expect(pool.endScope('file-b')).resolves.toBeUndefined();
		await expect(pool.endScope('file-a')).rejects.toThrow('workspace busy');
		await pool.close();
	});

	it('starts VMs ahead at low priority and restores it when a test takes one', async () => {
		const { priorities, pool } = poolRecordingPriorities();
		await pool.acquire({});
		await events.until(() => priorities.length > 1, 'the start of a VM ahead');
		// The test's own VM at normal priority, the one started ahead at low priority.
		expect(priorities[0]).toBeUndefined();
		expect(priorities[1]?.lowered).toBe(true);
		await pool.acquire({});
		expect(priorities[1]?.lowered).toBe(false);
		await pool.close();
	});

	it('starts none ahead when the caller says no later test will ask', async () => {
		const { started, start, quiet } = fakeStarter();
		const pool = poolWith(start);
		await pool.acquire({}, { refill: false });
		await quiet();
		expect(started).toHaveLength(1);
		expect(pool.waiting).toBe(0);
		await pool.close();
	});

	it('gives the VMs started ahead their priority back when the running test releases its VM', async () => {
		const { priorities, pool } = poolRecordingPriorities();
		const { vm } = await pool.acquire({});
		await events.until(() => priorities.length > 1, 'the start of a VM ahead');
		expect(priorities[1]?.lowered).toBe(true);
		pool.release(vm);
		expect(priorities[1]?.lowered).toBe(false);
		await pool.close();
	});
});
