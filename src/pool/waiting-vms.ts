/**
 * The VMs the warm pool holds for later tests, from the moment one starts ahead until a test takes it or the
 * pool drops it. Each one's life is short and fixed: starting, then up (ready for exec, its idle timer
 * running), then taken (handed out) or dropped (closed). Kept here with what ends a wait that nobody asked
 * for: the idle limit, and a watch that notices a VM that died so that it is replaced before a test asks.
 * When to start one is refill.ts; handing one out is take-waiting-vm.ts.
 */
import { createDebug } from '../debug.js';
import type { NormalizedVmOptions } from '../options.js';
import type { LaunchPriority } from '../qemu/launch-priority.js';
import type { Vm } from '../vm/vm.js';
import { isUsable } from './readings.js';

const debug = createDebug('pool');

/** How often waiting VMs are checked for having died (ms): a dead one is replaced before a test asks. */
const WATCH_INTERVAL_MS = 500;

/** One VM started ahead: starting while `vm` is unset, up once it is set. */
export interface WaitingVm {
	key: string;
	scope: string | undefined;
	/** The options and pool size it started with, to start its replacement if it dies while waiting. */
	options: NormalizedVmOptions;
	size: number;
	/** Settles with the VM, or undefined when its start failed. */
	starting: Promise<Vm | undefined>;
	/** Its QEMU's low CPU priority while it starts and waits, restored when a test takes it. */
	priority?: LaunchPriority;
	/** Aborts its start when it is dropped before it is up (its scope ended): nobody waits for that boot. */
	abort: AbortController;
	/** Cuts its warm-up short: a test that takes it waits for its boot, not for the warm-up. */
	endWarmUp?: () => void;
	vm?: Vm;
	residentMiB?: number;
	idleTimer?: NodeJS.Timeout;
}

/** The waiting VMs of one pool, all keys together, in the order they started. */
export class WaitingVms {
	readonly #entries: WaitingVm[] = [];
	readonly #idleMs: number;
	readonly #onDied: (entry: WaitingVm) => void;
	#watch: NodeJS.Timeout | undefined;

	/**
	 * `idleMs`: how long an up VM waits for a test before it is dropped. `onDied`: called for a waiting VM the
	 * watch found dead, to drop and replace it.
	 */
	constructor(idleMs: number, onDied: (entry: WaitingVm) => void) {
		this.#idleMs = idleMs;
		this.#onDied = onDied;
	}

	/** VMs waiting or starting now. */
	get length(): number {
		return this.#entries.length;
	}

	/** The live list, not a copy: copy it (`[...waiting]`) to drop entries while going through it. */
	[Symbol.iterator](): Iterator<WaitingVm> {
		return this.#entries[Symbol.iterator]();
	}

	/** The QEMU pids of the VMs that are up. */
	get readyPids(): number[] {
		return this.#entries.flatMap((entry) => (entry.vm?.pid === undefined ? [] : [entry.vm.pid]));
	}

	/** The oldest waiting VM of this key, still in the list. */
	find(key: string): WaitingVm | undefined {
		return this.#entries.find((candidate) => candidate.key === key);
	}

	/** Put a VM in the list (a new start, or one a caller gave up waiting for): it waits until taken or dropped. */
	add(entry: WaitingVm): void {
		this.#entries.push(entry);
		if (entry.vm) this.#armIdleTimer(entry);
		this.#ensureWatch();
	}

	/** Its start finished: it holds `vm`, and waits at most the idle limit if it is still in the list. */
	up(entry: WaitingVm, vm: Vm): void {
		entry.vm = vm;
		if (this.#entries.includes(entry)) this.#armIdleTimer(entry);
	}

	/** Take it out of the list (taken, dropped or failed): its idle timer stops, and the watch with the last one. */
	remove(entry: WaitingVm): void {
		clearTimeout(entry.idleTimer);
		const index = this.#entries.indexOf(entry);
		if (index !== -1) this.#entries.splice(index, 1);
		if (this.#entries.length === 0) this.#stopWatch();
	}

	/** Every waiting VM back to normal priority (qemu/launch-priority.ts). */
	restorePriorities(): void {
		for (const entry of this.#entries) entry.priority?.restore();
	}

	/** Take it out of the list and close it; `why` goes to the debug log (and the abort reason of a start). */
	async drop(entry: WaitingVm, why: string): Promise<void> {
		this.remove(entry);
		debug(`closing a waiting VM: ${why}`);
		// Still starting: stop the boot rather than wait for it to finish only to close it.
		if (!entry.vm) entry.abort.abort(new Error(`The pool dropped a VM it was starting: ${why}.`));
		const vm = await entry.starting;
		await vm?.close().catch(() => {});
	}

	#armIdleTimer(entry: WaitingVm): void {
		clearTimeout(entry.idleTimer);
		entry.idleTimer = setTimeout(() => void this.drop(entry, 'no test took it in time'), this.#idleMs);
		entry.idleTimer.unref();
	}

	/** Watch waiting VMs for a death (QEMU exited, the guest crashed): `onDied` drops and replaces them. */
	#ensureWatch(): void {
		if (this.#watch) return;
		this.#watch = setInterval(() => {
			for (const entry of [...this.#entries]) {
				if (!entry.vm || isUsable(entry.vm)) continue;
				debug(`a waiting VM died (pid ${entry.vm.pid}): replacing it`);
				this.#onDied(entry);
			}
			if (this.#entries.length === 0) this.#stopWatch();
		}, WATCH_INTERVAL_MS);
		this.#watch.unref();
	}

	#stopWatch(): void {
		clearInterval(this.#watch);
		this.#watch = undefined;
	}
}
