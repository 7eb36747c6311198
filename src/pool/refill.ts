/**
 * Refilling the pool: after a test got its VM, start the next VM of the same options in the background if
 * the rules allow (policy.ts: the pool size and the memory budget, counted with the resident memory of the
 * VMs already waiting), and keep what the pool learns per options key: the resident memory last measured
 * (the estimate for the next VM), and background starts that failed in a row (the pool stops trying after
 * a few: a test then starts its own VM and sees the error itself). A waiting VM that died is replaced here.
 */
import { createDebug } from '../debug.js';
import type { NormalizedVmOptions } from '../options.js';
import type { Vm } from '../vm/vm.js';
import { decideRefill, estimateResidentMiB } from './policy.js';
import { startAhead } from './start-ahead.js';
import type { WaitingVm, WaitingVms } from './waiting-vms.js';
import type { WarmPoolSettings } from './settings.js';

const debug = createDebug('pool');

/** Background starts of one key that fail in a row before the pool stops trying for that key. */
const MAX_FAILURES = 2;

export class Refiller {
	readonly #settings: Required<WarmPoolSettings>;
	readonly #waiting: WaitingVms;
	readonly #isClosed: () => boolean;
	/** Resident memory last measured per key (MiB), the estimate for the next VM of that key. */
	readonly #measured = new Map<string, number>();
	readonly #failures = new Map<string, number>();

	/** `isClosed`: whether the pool closed (it starts no more, and closes a VM whose start finishes late). */
	constructor(settings: Required<WarmPoolSettings>, waiting: WaitingVms, isClosed: () => boolean) {
		this.#settings = settings;
		this.#waiting = waiting;
		this.#isClosed = isClosed;
	}

	/** Start the next VM of `key` in the background if the rules allow; never throws (a failure is logged). */
	refill(key: string, options: NormalizedVmOptions, scope: string | undefined, size: number): void {
		void this.#tryRefill(key, options, scope, size).catch((error: unknown) => debug(`refill failed: ${String(error)}`));
	}

	/** A waiting VM died: counted as a failure of its key, dropped, and replaced. */
	replace(entry: WaitingVm): void {
		this.#failures.set(entry.key, (this.#failures.get(entry.key) ?? 0) + 1);
		void this.#waiting.drop(entry, 'it died').then(() => this.refill(entry.key, entry.options, entry.scope, entry.size));
	}

	async #tryRefill(key: string, options: NormalizedVmOptions, scope: string | undefined, size: number): Promise<void> {
		if (this.#isClosed() || (this.#failures.get(key) ?? 0) >= MAX_FAILURES) return;
		const estimate = estimateResidentMiB(options.memoryMiB, this.#measured.get(key));
		const waitingMiB = await this.#waitingMiB();
		const decision = decideRefill({
			size,
			waiting: this.#waiting.length,
			waitingMiB,
			estimateMiB: estimate,
			budgetMiB: this.#settings.budgetMiB,
			availableMiB: await this.#settings.availableMiB(),
		});
		// The awaits above let another refill in: the count is checked again right before starting.
		if (!decision.start || this.#isClosed() || this.#waiting.length >= size) {
			debug(`no VM started ahead: ${decision.start ? 'the pool is full' : decision.reason}`);
			return;
		}
		const entry: WaitingVm = { key, scope, options, size, starting: Promise.resolve(undefined), abort: new AbortController() };
		const { up, priority, endWarmUp } = startAhead(options, entry.abort.signal, this.#settings);
		if (priority) entry.priority = priority;
		entry.endWarmUp = endWarmUp;
		entry.starting = up.then(
			(vm) => this.#started(entry, vm),
			(error: unknown) => {
				debug(`a VM started ahead failed: ${String(error)}`);
				// Aborted because it was dropped: not a failure of these options.
				if (!entry.abort.signal.aborted) this.#failures.set(key, (this.#failures.get(key) ?? 0) + 1);
				this.#waiting.remove(entry);
				return undefined;
			},
		);
		this.#waiting.add(entry);
		debug(`starting a VM ahead (${this.#waiting.length} waiting)`);
	}

	#started(entry: WaitingVm, vm: Vm): Vm | undefined {
		this.#failures.delete(entry.key);
		if (this.#isClosed()) {
			void vm.close();
			return undefined;
		}
		this.#waiting.up(entry, vm);
		if (vm.pid !== undefined) {
			void this.#settings.residentMiB(vm.pid).then((mib) => {
				if (mib === undefined) return;
				entry.residentMiB = mib;
				this.#measured.set(entry.key, mib);
			});
		}
		return vm;
	}

	/** Resident memory of the waiting VMs (MiB), read again now; one still starting counts at its estimate. */
	async #waitingMiB(): Promise<number> {
		let total = 0;
		for (const entry of this.#waiting) {
			const measured = entry.vm?.pid === undefined ? undefined : await this.#settings.residentMiB(entry.vm.pid);
			if (measured !== undefined) entry.residentMiB = measured;
			total += entry.residentMiB ?? this.#measured.get(entry.key) ?? estimateResidentMiB(256, undefined);
		}
		return total;
	}
}
