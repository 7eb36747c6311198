/**
 * A VM started ahead runs one of the host's programs before a test takes it. The first dynamically linked
 * program a fresh guest runs pays for its loader and libc coming over 9p and for emulating their start-up
 * code for the first time: ~120-170 ms under emulation, which every test's first command would otherwise pay
 * (measured: `/bin/true` 160-250 ms as a VM's first program, ~60 ms after). The first program that loads the
 * locale (`LANG=C.UTF-8`: coreutils, grep, util-linux, …) pays once more for its 13 files and the code that
 * reads them, which `true` skips: `env` loads it, then runs `true` (first `sleep 0.5` 652 against 668 ms and
 * first `ls` 147 against 168 ms after `env true` rather than `true`, medians of 11 interleaved VMs). A waiting
 * VM pays that while the test before runs. Nothing of it is left for the test to see: the programs end, and
 * only the guest's caches are warmer (no file, process, module or setting changes).
 */
import type { Vm } from '../vm/vm.js';

/** Bounded: a guest that cannot run it in this time is left to the pool's liveness checks. */
const WARM_UP_TIMEOUT_MS = 10_000;

/** `exec` looks `env` up on the PATH, and `env` looks up `true`: both the host's binaries, not builtins. */
export const WARM_UP_SCRIPT = 'exec env true';

export async function warmUp(vm: Vm, signal?: AbortSignal): Promise<void> {
	await vm.exec(WARM_UP_SCRIPT, { timeout: WARM_UP_TIMEOUT_MS, ...(signal ? { signal } : {}) }).catch(() => {});
}
