/**
 * How the pool boots one VM ahead of the test that will take it: exactly as `startVm()` would, but at
 * nice 19 where its priority can be given back (qemu/launch-priority.ts, passed to the start), with a signal of its own (the
 * pool aborts a boot nobody will take; the caller's signal and progress callback never reach it), and
 * warmed up (warm-up.ts) before it waits. A test that takes it while the warm-up runs cuts the warm-up short
 * (or skips it, before it began) rather than wait for its end. Whether to start one, and what happens once
 * it is up, is refill.ts.
 */
import type { NormalizedVmOptions } from '../options.js';
import { LaunchPriority } from '../qemu/launch-priority.js';
import type { Vm } from '../vm/vm.js';
import type { WarmPoolSettings } from './settings.js';

/** What a start ahead uses of the pool's settings. */
export type StartAheadSettings = Required<Pick<WarmPoolSettings, 'start' | 'warmUp' | 'lowerPriority'>>;

/**
 * Start a VM of `options` ahead, aborted by `signal`. `up` settles once it is warmed up; `priority` is its
 * low CPU priority, to restore when a test takes it (undefined: it runs at normal priority); `endWarmUp`
 * cuts its warm-up short, so that `up` settles as soon as the VM has booted.
 */
export function startAhead(
	options: NormalizedVmOptions,
	signal: AbortSignal,
	settings: StartAheadSettings,
): { up: Promise<Vm>; priority: LaunchPriority | undefined; endWarmUp: () => void } {
	// At nice 19 while nobody waits for it: its boot takes the CPU time the running test leaves idle.
	const priority = settings.lowerPriority() ? new LaunchPriority() : undefined;
	const warmUp = new AbortController();
	const start = async () => {
		const vm = await settings.start({ ...options, signal }, { launchPriority: priority });
		// Not when a test took it while it booted, nor when the pool dropped it meanwhile.
		if (!warmUp.signal.aborted && !signal.aborted) await settings.warmUp(vm, AbortSignal.any([signal, warmUp.signal]));
		return vm;
	};
	return {
		up: start(),
		priority,
		endWarmUp: () => warmUp.abort(new Error('A test took the VM: its warm-up is cut short.')),
	};
}
