/**
 * The warm pool: when tests take a fresh VM each, start the next one of the same options in the
 * background while the current test runs, and hand it out when a test asks for one. The rules (which
 * options, how many, how much memory) are policy.ts; this part starts, watches and closes the VMs.
 *
 * A waiting VM already passed "up" (it is ready for exec) and ran nothing: it is exactly what
 * `startVm()` would return. One that died while waiting is dropped and replaced, never handed out.
 * Its QEMU is an ordinary VM's, so the exit cleanup (and QEMU's parent-death signal on SIGKILL)
 * cover it like any other.
 */
import { createDebug } from '../debug.js';
import { withAbort } from '../lifecycle/wait.js';
import { normalizeOptions, type VmOptions } from '../options.js';
import { startVm } from '../start-vm.js';
import type { Vm } from '../vm/vm.js';
import { BackgroundCloses } from './background-close.js';
import { warmUp } from './warm-up.js';
import { backgroundPriorityAllowed, LaunchPriority, startAtLowPriority } from './background-priority.js';
import { decideRefill, estimateResidentMiB, poolKeyOf } from './policy.js';
import { isUsable, readAvailableMiB, readResidentMiB } from './readings.js';

const debug = createDebug('pool');

/** How often waiting VMs are checked for having died (ms): a dead one is replaced before a test asks. */
const WATCH_INTERVAL_MS = 500;
/** Background starts of one key that fail in a row before the pool stops trying for that key. */
const MAX_FAILURES = 2;

export interface WarmPoolSettings {
	/** A waiting VM no test took within this time is closed (ms). */
	idleMs: number;
	/** Resident memory all waiting VMs together may hold (MiB). */
	budgetMiB: number;
	/** Starts a VM (`startVm`, replaced in unit tests). */
	start?: (options: VmOptions) => Promise<Vm>;
	/** A process's resident memory in MiB, undefined when it cannot be read. */
	residentMiB?: (pid: number) => Promise<number | undefined>;
	/** Memory the host has available now (MiB). */
	availableMiB?: () => Promise<number>;
	/** Whether VMs started ahead run at low CPU priority until handed out (background-priority.ts). */
	lowerPriority?: () => boolean;
	/** Runs in a VM started ahead before it waits (warm-up.ts; replaced in unit tests). */
	warmUp?: (vm: Vm, signal: AbortSignal) => Promise<void>;
}

/** How `acquire()` got its VM. */
export interface Acquired {
	vm: Vm;
	/** `'pool'`: it was waiting (or already starting) in the background; `'fresh'`: started for this call. */
	source: 'pool' | 'fresh';
}

interface Entry {
	key: string;
	scope: string | undefined;
	/** The options and pool size it started with, to start its replacement if it dies while waiting. */
	options: VmOptions;
	size: number;
	/** Settles with the VM, or undefined when its start failed. */
	starting: Promise<Vm | undefined>;
	/** Its QEMU's low CPU priority while it starts and waits, restored when a test takes it. */
	priority?: LaunchPriority;
	/** Aborts its start when it is dropped before it is up (its scope ended): nobody waits for that boot. */
	abort: AbortController;
	vm?: Vm;
	residentMiB?: number;
	idleTimer?: NodeJS.Timeout;
}

export class WarmPool {
	readonly #settings: Required<WarmPoolSettings>;
	readonly #entries: Entry[] = [];
	/** Resident memory last measured per key (MiB), the estimate for the next VM of that key. */
	readonly #measured = new Map<string, number>();
	readonly #failures = new Map<string, number>();
	#watch: NodeJS.Timeout | undefined;
	#closed = false;
	readonly #closes = new BackgroundCloses();

	constructor(settings: WarmPoolSettings) {
		this.#settings = {
			start: startVm,
			residentMiB: readResidentMiB,
			availableMiB: readAvailableMiB,
			lowerPriority: backgroundPriorityAllowed,
			warmUp,
			...settings,
		};
	}

	/** VMs waiting or starting in the background now. */
	get waiting(): number {
		return this.#entries.length;
	}

	/** The QEMU pids of the VMs that are up and waiting (a test that asks now gets one at once). */
	get readyPids(): number[] {
		return this.#entries.flatMap((entry) => (entry.vm?.pid === undefined ? [] : [entry.vm.pid]));
	}

	/**
	 * A VM of these options: a waiting one when there is one (waiting for it to finish starting if it is
	 * still starting), else a fresh one. Afterwards the next VM of the same options starts in the background,
	 * as the rules allow: at most `pool` VMs (the option, or `VM_EXEC_POOL`) wait at once, all options
	 * together. `scope` names who asked (a test file), for `endScope()`; `refill: false` starts none ahead
	 * (the caller knows no later test of its scope will ask).
	 */
	async acquire(options: VmOptions = {}, { scope, refill = true }: { scope?: string; refill?: boolean } = {}): Promise<Acquired> {
		const normalized = normalizeOptions(options);
		const size = normalized.pool;
		const keyed = size > 0 && !this.#closed ? poolKeyOf(normalized) : { reason: 'the pool is off' };
		if (!('key' in keyed)) {
			debug(`not pooled: ${keyed.reason}`);
			return { vm: await this.#settings.start(options), source: 'fresh' };
		}
		const { key } = keyed;
		const background: VmOptions = { ...options, signal: undefined, onProgress: undefined };
		const waiting = await this.#take(key, normalized.signal);
		if (waiting) {
			if (refill) this.#refill(key, background, scope, size);
			return { vm: waiting, source: 'pool' };
		}
		const vm = await this.#settings.start(options);
		// Started after the test's own VM, so the two do not compete for the CPU.
		if (refill) this.#refill(key, background, scope, size);
		return { vm, source: 'fresh' };
	}

	/**
	 * Close `vm`, which a test of `scope` is done with, in the background: the caller does not wait for QEMU
	 * to exit. `endScope(scope)` and `close()` wait for it (and report a close that failed). The VMs waiting
	 * go back to normal priority.
	 */
	release(vm: Vm, { scope }: { scope?: string } = {}): void {
		this.#closes.close(vm, scope);
		// The test it protected is over and the next one is about to ask: a boot still starving at nice 19
		// (other load on the machine) must not make it wait.
		for (const entry of this.#entries) entry.priority?.restore();
	}

	/**
	 * Close the waiting VMs started for `scope` (its file ended: no later test of it will take them), and wait
	 * for the VMs of `scope` that are closing in the background.
	 */
	async endScope(scope: string): Promise<void> {
		await Promise.all(this.#entries.filter((entry) => entry.scope === scope).map((entry) => this.#drop(entry, 'its scope ended')));
		await this.#closes.settle(scope);
	}

	/** Close every waiting VM, start no more, and wait for every VM closing in the background. */
	async close(): Promise<void> {
		this.#closed = true;
		await Promise.all([...this.#entries].map((entry) => this.#drop(entry, 'the pool closed')));
		await this.#closes.settle();
	}

	/** VMs closing in the background now (`release()`). */
	get closing(): number {
		return this.#closes.pending;
	}

	/** The waiting VM of this key, removed from the pool; undefined if there is none that is alive. */
	async #take(key: string, signal: AbortSignal | undefined): Promise<Vm | undefined> {
		for (;;) {
			const entry = this.#entries.find((candidate) => candidate.key === key);
			if (!entry) return undefined;
			// Taken now, so that no other caller waits for the same VM; from now on a test waits for it, so it
			// runs at the test's priority (also while it is still starting).
			this.#remove(entry);
			entry.priority?.restore();
			const vm = await withAbort(entry.starting, signal).catch((error: unknown) => {
				// The caller gave up: the VM goes back to wait for the next one.
				this.#entries.push(entry);
				if (entry.vm) this.#armIdleTimer(entry);
				this.#ensureWatch();
				throw error;
			});
			if (vm && isUsable(vm)) {
				debug(`handing out a waiting VM (pid ${vm.pid})`);
				return vm;
			}
			debug('a waiting VM died or failed to start: not handed out');
			if (vm) await vm.close().catch(() => {});
		}
	}

	#refill(key: string, options: VmOptions, scope: string | undefined, size: number): void {
		void this.#tryRefill(key, options, scope, size).catch((error: unknown) => debug(`refill failed: ${String(error)}`));
	}

	async #tryRefill(key: string, options: VmOptions, scope: string | undefined, size: number): Promise<void> {
		if (this.#closed || (this.#failures.get(key) ?? 0) >= MAX_FAILURES) return;
		const estimate = estimateResidentMiB(normalizeOptions(options).memoryMiB, this.#measured.get(key));
		const waitingMiB = await this.#waitingMiB();
		const decision = decideRefill({
			size,
			waiting: this.#entries.length,
			waitingMiB,
			estimateMiB: estimate,
			budgetMiB: this.#settings.budgetMiB,
			availableMiB: await this.#settings.availableMiB(),
		});
		// The awaits above let another refill in: the count is checked again right before starting.
		if (!decision.start || this.#closed || this.#entries.length >= size) {
			debug(`no VM started ahead: ${decision.start ? 'the pool is full' : decision.reason}`);
			return;
		}
		const entry: Entry = { key, scope, options, size, starting: Promise.resolve(undefined), abort: new AbortController() };
		// At nice 19 while nobody waits for it: its boot takes the CPU time the running test leaves idle.
		const priority = this.#settings.lowerPriority() ? new LaunchPriority() : undefined;
		if (priority) entry.priority = priority;
		const start = async () => {
			const vm = await this.#settings.start({ ...options, signal: entry.abort.signal });
			await this.#settings.warmUp(vm, entry.abort.signal);
			return vm;
		};
		entry.starting = (priority ? startAtLowPriority(priority, start) : start()).then(
			(vm) => this.#started(entry, vm),
			(error: unknown) => {
				debug(`a VM started ahead failed: ${String(error)}`);
				// Aborted because it was dropped: not a failure of these options.
				if (!entry.abort.signal.aborted) this.#failures.set(key, (this.#failures.get(key) ?? 0) + 1);
				this.#remove(entry);
				return undefined;
			},
		);
		this.#entries.push(entry);
		this.#ensureWatch();
		debug(`starting a VM ahead (${this.#entries.length} waiting)`);
	}

	#started(entry: Entry, vm: Vm): Vm | undefined {
		this.#failures.delete(entry.key);
		if (this.#closed) {
			void vm.close();
			return undefined;
		}
		entry.vm = vm;
		if (this.#entries.includes(entry)) this.#armIdleTimer(entry);
		if (vm.pid !== undefined) {
			void this.#settings.residentMiB(vm.pid).then((mib) => {
				if (mib === undefined) return;
				entry.residentMiB = mib;
				this.#measured.set(entry.key, mib);
			});
		}
		return vm;
	}

	#armIdleTimer(entry: Entry): void {
		clearTimeout(entry.idleTimer);
		entry.idleTimer = setTimeout(() => void this.#drop(entry, 'no test took it in time'), this.#settings.idleMs);
		entry.idleTimer.unref();
	}

	async #waitingMiB(): Promise<number> {
		let total = 0;
		for (const entry of this.#entries) {
			const measured = entry.vm?.pid === undefined ? undefined : await this.#settings.residentMiB(entry.vm.pid);
			if (measured !== undefined) entry.residentMiB = measured;
			total += entry.residentMiB ?? this.#measured.get(entry.key) ?? estimateResidentMiB(256, undefined);
		}
		return total;
	}

	/** Watch waiting VMs for a death (QEMU exited, the guest crashed): drop and replace them. */
	#ensureWatch(): void {
		if (this.#watch) return;
		this.#watch = setInterval(() => {
			for (const entry of [...this.#entries]) {
				if (!entry.vm || isUsable(entry.vm)) continue;
				debug(`a waiting VM died (pid ${entry.vm.pid}): replacing it`);
				this.#failures.set(entry.key, (this.#failures.get(entry.key) ?? 0) + 1);
				void this.#drop(entry, 'it died').then(() => this.#refill(entry.key, entry.options, entry.scope, entry.size));
			}
			if (this.#entries.length === 0) this.#stopWatch();
		}, WATCH_INTERVAL_MS);
		this.#watch.unref();
	}

	#stopWatch(): void {
		clearInterval(this.#watch);
		this.#watch = undefined;
	}

	#remove(entry: Entry): void {
		clearTimeout(entry.idleTimer);
		const index = this.#entries.indexOf(entry);
		if (index !== -1) this.#entries.splice(index, 1);
		if (this.#entries.length === 0) this.#stopWatch();
	}

	async #drop(entry: Entry, why: string): Promise<void> {
		this.#remove(entry);
		debug(`closing a waiting VM: ${why}`);
		// Still starting: stop the boot rather than wait for it to finish only to close it.
		if (!entry.vm) entry.abort.abort(new Error(`The pool dropped a VM it was starting: ${why}.`));
		const vm = await entry.starting;
		await vm?.close().catch(() => {});
	}
}
