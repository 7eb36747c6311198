/**
 * A VM the warm pool starts ahead runs at the lowest CPU priority (nice 19) until a test takes it: on a
 * machine with few cores its boot then uses the CPU time the running test leaves idle, instead of slowing
 * that test down. When it is handed out (or a test starts waiting for it), every QEMU thread goes back
 * to this process's own priority, so the test gets a VM that runs exactly like a fresh one.
 *
 * Lowering a priority again needs CAP_SYS_NICE or a high enough RLIMIT_NICE (root has both; an ordinary
 * user usually has neither): where this process may not, the pool starts its VMs at normal priority, as
 * a VM that stayed at nice 19 for the test would be a different VM.
 *
 * The priority is part of what a launch is given: the pool passes a `LaunchPriority` to its internal start
 * (`startNormalizedVm(options, { priority })`), which hands it down the start path to `launchQemu`; that
 * prefixes `nice -n 19` while it is lowered and reports each QEMU it started. QEMU's process priority is
 * QEMU's business, so this lives here; the pool (src/pool/start-ahead.ts) decides when to use it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { createDebug } from '../debug.js';

const debug = createDebug('qemu');

/** The niceness of a VM started ahead. */
export const BACKGROUND_NICENESS = 19;
/** Bit of CAP_SYS_NICE in the capability masks of /proc/PID/status. */
const CAP_SYS_NICE = 23n;

/** The QEMU processes one background start launched, and whether they still run at low priority. */
export class LaunchPriority {
	readonly #pids: number[] = [];
	#lowered = true;
	readonly #niceness: number;

	/** `niceness`: the priority the VM returns to, this process's own by default. */
	constructor(niceness = os.getPriority()) {
		this.#niceness = niceness;
	}

	/** Whether a QEMU launched now should start at low priority (read by `launchQemu`). */
	get lowered(): boolean {
		return this.#lowered;
	}

	/** `launchQemu` reports a QEMU it started; one that started after `restore()` is restored at once. */
	launched(pid: number): void {
		this.#pids.push(pid);
		if (!this.#lowered) restoreProcessPriority(pid, this.#niceness);
	}

	/** Every QEMU of this start back to normal priority (idempotent). */
	restore(): void {
		if (!this.#lowered) return;
		this.#lowered = false;
		for (const pid of this.#pids) restoreProcessPriority(pid, this.#niceness);
	}
}

/**
 * Set every thread of `pid` to `niceness`. Linux keeps a niceness per thread and QEMU starts its vCPU,
 * I/O and 9p worker threads from threads that were niced: two passes catch a thread created while the
 * first one ran.
 */
export function restoreProcessPriority(pid: number, niceness: number): void {
	for (let pass = 0; pass < 2; pass++) {
		let tids: string[];
		try {
			tids = readdirSync(`/proc/${pid}/task`);
		} catch {
			return; // QEMU is gone.
		}
		for (const tid of tids) {
			try {
				os.setPriority(Number(tid), niceness);
			} catch (error) {
				debug(`could not restore the priority of QEMU thread ${tid}: ${String(error)}`);
			}
		}
	}
}

/**
 * Whether a process with these credentials may lower a niceness of 19 back to `niceness` (pure):
 * CAP_SYS_NICE, or an RLIMIT_NICE soft limit of at least `20 - niceness` (setrlimit(2)).
 */
export function mayRestorePriority(input: { capEff: bigint; niceLimit: number; niceness: number }): boolean {
	if ((input.capEff >> CAP_SYS_NICE) & 1n) return true;
	return input.niceLimit >= 20 - input.niceness;
}

/** The effective capability mask and the RLIMIT_NICE soft limit from /proc/PID/status and limits texts (pure). */
export function parseNiceCredentials(status: string, limits: string): { capEff: bigint; niceLimit: number } {
	const capEff = /^CapEff:\s*([0-9a-f]+)/im.exec(status)?.[1];
	const limit = /^Max nice priority\s+(\S+)/im.exec(limits)?.[1];
	return {
		capEff: capEff ? BigInt(`0x${capEff}`) : 0n,
		niceLimit: limit === undefined ? 0 : limit === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limit) || 0,
	};
}

let allowed: boolean | undefined;

/**
 * Whether background VMs may start at low priority in this process: only where their priority can be
 * restored for the test. (`VM_EXEC_POOL_NICE=0` turns it off: the worker's pool reads that switch, see
 * src/pool/worker-pool.ts.)
 */
export function backgroundPriorityAllowed(): boolean {
	if (allowed === undefined) {
		try {
			const credentials = parseNiceCredentials(readFileSync('/proc/self/status', 'utf8'), readFileSync('/proc/self/limits', 'utf8'));
			allowed = mayRestorePriority({ ...credentials, niceness: os.getPriority() });
		} catch {
			allowed = false;
		}
		debug(allowed ? 'VMs started ahead run at nice 19 until handed out' : 'VMs started ahead run at normal priority (no CAP_SYS_NICE)');
	}
	return allowed;
}
