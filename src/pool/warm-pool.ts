/**
 * The warm pool: when tests take a fresh VM each, start the next one of the same options in the
 * background while the current test runs, and hand it out when a test asks for one. This file is the
 * pool's public face (acquire, release, the end of a scope, close); its parts, one job a file:
 *
 * - policy.ts: the rules (which options, how many, how much memory), as pure functions;
 * - waiting-vms.ts: the VMs waiting or starting, their idle limit, the watch for one that died;
 * - refill.ts: starting the next VM of a key when the rules allow, what the pool learns per key;
 * - settings.ts: what a pool is made with (its limits, and how it starts, measures and warms up VMs);
 * - start-ahead.ts: booting one VM ahead, at low priority (qemu/launch-priority.ts) and warmed up (warm-up.ts);
 * - take-waiting-vm.ts: handing a waiting VM to a test;
 * - background-close.ts: closing a released VM without making the test wait.
 *
 * A waiting VM already passed "up" (it is ready for exec) and ran nothing: it is exactly what
 * `startVm()` would return. One that died while waiting is dropped and replaced, never handed out.
 * Its QEMU is an ordinary VM's, so the exit cleanup (and QEMU's parent-death signal on SIGKILL)
 * cover it like any other.
 */
import { createDebug } from '../debug.js';
import { type NormalizedVmOptions, normalizeOptions, type VmOptions } from '../options.js';
import { backgroundPriorityAllowed } from '../qemu/launch-priority.js';
import { startNormalizedVm } from '../start-vm.js';
import type { Vm } from '../vm/vm.js';
import { BackgroundCloses } from './background-close.js';
import { poolKeyOf } from './policy.js';
import { readAvailableMiB, readResidentMiB } from './readings.js';
import { Refiller } from './refill.js';
import { takeWaitingVm } from './take-waiting-vm.js';
import type { WarmPoolSettings } from './settings.js';
import { WaitingVms } from './waiting-vms.js';
import { warmUp } from './warm-up.js';

export type { WarmPoolSettings } from './settings.js';

const debug = createDebug('pool');

/** How `acquire()` got its VM. */
export interface Acquired {
	vm: Vm;
	/** `'pool'`: it was waiting (or already starting) in the background; `'fresh'`: started for this call. */
	source: 'pool' | 'fresh';
}

export class WarmPool {
	readonly #settings: Required<WarmPoolSettings>;
	readonly #waiting: WaitingVms;
	readonly #refiller: Refiller;
	#closed = false;
	readonly #closes = new BackgroundCloses();

	constructor(settings: WarmPoolSettings) {
		this.#settings = {
			start: startNormalizedVm,
			residentMiB: readResidentMiB,
			availableMiB: readAvailableMiB,
			lowerPriority: backgroundPriorityAllowed,
			warmUp,
			...settings,
		};
		this.#waiting = new WaitingVms(this.#settings.idleMs, (entry) => this.#refiller.replace(entry));
		this.#refiller = new Refiller(this.#settings, this.#waiting, () => this.#closed);
	}

	/** VMs waiting or starting in the background now. */
	get waiting(): number {
		return this.#waiting.length;
	}

	/** The QEMU pids of the VMs that are up and waiting (a test that asks now gets one at once). */
	get readyPids(): number[] {
		return this.#waiting.readyPids;
	}

	/**
	 * A VM of these options: a waiting one when there is one (waiting for it to finish starting if it is
	 * still starting), else a fresh one. Afterwards the next VM of the same options starts in the background,
	 * as the rules allow: at most `pool` VMs (the option, or `VM_EXEC_POOL`) wait at once, all options
	 * together. `scope` names who asked (a test file), for `endScope()`; `refill: false` starts none ahead
	 * (the caller knows no later test of its scope will ask).
	 */
	async acquire(options: VmOptions = {}, { scope, refill = true }: { scope?: string; refill?: boolean } = {}): Promise<Acquired> {
		// Normalized once: the key, the start and every VM started ahead for it use the same options.
		const normalized = normalizeOptions(options);
		const size = normalized.pool;
		const keyed = size > 0 && !this.#closed ? poolKeyOf(normalized) : { reason: 'the pool is off' };
		if (!('key' in keyed)) {
			debug(`not pooled: ${keyed.reason}`);
			return { vm: await this.#settings.start(normalized, {}), source: 'fresh' };
		}
		const { key } = keyed;
		const background: NormalizedVmOptions = { ...normalized, signal: undefined, onProgress: undefined };
		const waiting = await takeWaitingVm(this.#waiting, key, normalized.signal);
		if (waiting) {
			if (refill) this.#refiller.refill(key, background, scope, size);
			return { vm: waiting, source: 'pool' };
		}
		const vm = await this.#settings.start(normalized, {});
		// Started after the test's own VM, so the two do not compete for the CPU.
		if (refill) this.#refiller.refill(key, background, scope, size);
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
		this.#waiting.restorePriorities();
	}

	/**
	 * Close the waiting VMs started for `scope` (its file ended: no later test of it will take them), and wait
	 * for the VMs of `scope` that are closing in the background.
	 */
	async endScope(scope: string): Promise<void> {
		await Promise.all(
			[...this.#waiting].filter((entry) => entry.scope === scope).map((entry) => this.#waiting.drop(entry, 'its scope ended')),
		);
		await this.#closes.settle(scope);
	}

	/** Close every waiting VM, start no more, and wait for every VM closing in the background. */
	async close(): Promise<void> {
		this.#closed = true;
		await Promise.all([...this.#waiting].map((entry) => this.#waiting.drop(entry, 'the pool closed')));
		await this.#closes.settle();
	}

	/** VMs closing in the background now (`release()`). */
	get closing(): number {
		return this.#closes.pending;
	}
}
