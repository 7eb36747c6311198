/**
 * A VM started ahead runs one of the host's programs before a test takes it. The first dynamically linked
 * program a fresh guest runs pays for its loader and libc coming over 9p and for emulating their start-up
 * code for the first time: ~120-170 ms under emulation, which every test's first command would otherwise pay
 * (measured: `/bin/true` 160-250 ms as a VM's first program, ~60 ms after). A waiting VM pays it while the
 * test before runs. Nothing of it is left for the test to see: the program ends, and only the guest's caches
 * are warmer (no file, process, module or setting changes).
 */
import type { Vm } from '../vm/vm.js';

/** Bounded: a guest that cannot run it in this time is left to the pool's liveness checks. */
const WARM_UP_TIMEOUT_MS = 10_000;

/** `exec` looks `true` up on the PATH, so the host's own binary runs (the shell's builtin would not). */
export const WARM_UP_SCRIPT = 'exec true';

export async function warmUp(vm: Vm, signal?: AbortSignal): Promise<void> {
	await vm.exec(WARM_UP_SCRIPT, { timeout: WARM_UP_TIMEOUT_MS, ...(signal ? { signal } : {}) }).catch(() => {});
}
