/**
 * A VM started ahead runs one of the host's programs before a test takes it. The first dynamically linked
 * program a fresh guest runs pays for its loader and libc coming over 9p and for emulating their start-up
 * code for the first time, and the first that loads the locale (`LANG=C.UTF-8`: coreutils, grep,
 * util-linux, …) pays once more for its files: costs every test's first command would otherwise pay. GNU
 * `true --version` loads the locale too (and prints its version, which goes nowhere): one program warms the
 * loader, libc and the locale; a `true` that ignores its arguments (busybox) is plain `true`. A waiting VM
 * pays this while the test before runs, and nothing of it is left for the test to see: the program ends,
 * and only the guest's caches are warmer (no file, process, module or setting changes). The measured
 * figures are in docs/performance.md ("The warm pool").
 */
import type { Vm } from '../vm/vm.js';

/** Bounded: a guest that cannot run it in this time is left to the pool's liveness checks. */
const WARM_UP_TIMEOUT_MS = 10_000;

/** `exec` looks `true` up on the PATH, so the host's binary runs (the shell's builtin would not). */
export const WARM_UP_SCRIPT = 'exec true --version >/dev/null';

export async function warmUp(vm: Vm, signal?: AbortSignal): Promise<void> {
	await vm.exec(WARM_UP_SCRIPT, { timeout: WARM_UP_TIMEOUT_MS, ...(signal ? { signal } : {}) }).catch(() => {});
}
