/**
 * What the warm pool reads about processes and the host (helpers around /proc).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { readProcessState } from '../lifecycle/process-alive.js';
import type { Vm } from '../vm/vm.js';

/**
 * Whether a waiting VM can be handed out: not closed, and its QEMU neither gone, nor dead but not yet
 * reaped (Node notices an exit a moment later), nor stopped (a stopped QEMU would hang the test).
 */
export function isUsable(vm: Vm): boolean {
	if (vm.closed) return false;
	if (vm.pid === undefined) return true;
	const state = readProcessState(vm.pid);
	return state !== undefined && !'ZXxTt'.includes(state);
}

/** VmRSS of a process (MiB), from /proc. */
export async function readResidentMiB(pid: number): Promise<number | undefined> {
	const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
	const kib = status && /VmRSS:\s+(\d+)/.exec(status)?.[1];
	return kib ? Number(kib) / 1024 : undefined;
}

/** MemAvailable (MiB), from /proc/meminfo; the free memory where it cannot be read. */
export async function readAvailableMiB(): Promise<number> {
	const meminfo = await readFile('/proc/meminfo', 'utf8').catch(() => '');
	const kib = /MemAvailable:\s+(\d+)/.exec(meminfo)?.[1];
	return kib ? Number(kib) / 1024 : os.freemem() / 2 ** 20;
}
