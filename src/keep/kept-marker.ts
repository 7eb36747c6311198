/**
 * The marker of a kept VM, for its watchdog (a shell loop, so the format stays that simple): a file in the
 * kept dir named after QEMU's pid, holding "DEADLINE_EPOCH_SECONDS KEEPER_PID WORKSPACE".
 */
import path from 'node:path';
import { keptDir } from './kept-registry.js';

export function keptMarkerPath(qemuPid: number): string {
	return path.join(keptDir(), `qemu-${qemuPid}.kept`);
}

export function formatKeptMarker(deadlineMs: number, keeperPid: number, workspace: string): string {
	return `${Math.ceil(deadlineMs / 1000)} ${keeperPid} ${workspace}\n`;
}

/**
 * A kept VM's workspace is renamed out of the `vm-exec-<pid>-*` pattern (see keep-vm.ts): the stale sweep
 * of any vm-exec version (its runner's pid is dead) must never remove it.
 */
export function keptWorkspaceName(id: string): string {
	return `vm-exec-kept-vm-${id}`;
}
