/**
 * Handing a waiting VM to a test that asks for its options. The VM is taken out of the pool before the
 * test waits for it (it may still be starting, or warming up: its warm-up is cut short), so that no other
 * caller waits for the same VM; a test that gives up puts it back (unwarmed, if the warm-up was cut). One that died or failed to start is closed and never handed out: the next
 * one of the key is tried, and with none left the caller starts its own.
 */
import { createDebug } from '../debug.js';
import { withAbort } from '../lifecycle/wait.js';
import type { Vm } from '../vm/vm.js';
import { isUsable } from './readings.js';
import type { WaitingVms } from './waiting-vms.js';

const debug = createDebug('pool');

/** The waiting VM of this key, removed from `waiting`; undefined if there is none that is alive. */
export async function takeWaitingVm(waiting: WaitingVms, key: string, signal: AbortSignal | undefined): Promise<Vm | undefined> {
	for (;;) {
		const entry = waiting.find(key);
		if (!entry) return undefined;
		// Taken now, so that no other caller waits for the same VM; from now on a test waits for it, so it
		// runs at the test's priority (also while it is still starting).
		waiting.remove(entry);
		entry.priority?.restore();
		// A warm-up still running only saves the test work if the test need not wait for it.
		entry.endWarmUp?.();
		const vm = await withAbort(entry.starting, signal).catch((error: unknown) => {
			// The caller gave up: the VM goes back to wait for the next one.
			waiting.add(entry);
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
