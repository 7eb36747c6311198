/**
 * What a warm pool is made with: its limits, and the functions it uses to start, measure and warm up VMs
 * (real ones by default; unit tests replace them). Its own file, because the pool's face (warm-pool.ts) and
 * its parts (refill.ts, start-ahead.ts) all read it.
 */
import type { NormalizedVmOptions } from '../options.js';
import type { StartSettings } from '../start-vm.js';
import type { Vm } from '../vm/vm.js';

export interface WarmPoolSettings {
	/** A waiting VM no test took within this time is closed (ms). */
	idleMs: number;
	/** Resident memory all waiting VMs together may hold (MiB). */
	budgetMiB: number;
	/** Starts a VM from normalized options (`startNormalizedVm`, replaced in unit tests). */
	start?: (options: NormalizedVmOptions, settings: StartSettings) => Promise<Vm>;
	/** A process's resident memory in MiB, undefined when it cannot be read. */
	residentMiB?: (pid: number) => Promise<number | undefined>;
	/** Memory the host has available now (MiB). */
	availableMiB?: () => Promise<number>;
	/** Whether VMs started ahead run at low CPU priority until handed out (qemu/launch-priority.ts). */
	lowerPriority?: () => boolean;
	/** Runs in a VM started ahead before it waits (warm-up.ts; replaced in unit tests). */
	warmUp?: (vm: Vm, signal: AbortSignal) => Promise<void>;
}
