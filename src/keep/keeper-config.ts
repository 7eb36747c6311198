/** What a runner tells a keeper about the VM it hands over (plain JSON, over the IPC channel). */
import type { QemuVmParts } from '../vm/qemu-vm-parts.js';

/** The VM's parts that are plain data, which the keeper builds its own `QemuVm` from. */
export type KeptVmParts = Pick<QemuVmParts, 'xchgDir' | 'kernel' | 'accel' | 'sharedDir' | 'env' | 'cwd'>;

export interface KeeperConfig extends KeptVmParts {
	id: string;
	name: string;
	qemuPid: number;
	qemuArgv: readonly string[];
	workspace: string;
	limitMs: number;
}

/**
 * The keeper's exec ids: never the runner's (`v<N>x…`, restarting at v0x0 in each process). An exec the
 * runner left running in the guest (its test ended mid-command) would otherwise share an id with one of
 * the keeper's, and its late `done` would end, say, an attached shell.
 */
export function keeperExecIdPrefix(id: string): string {
	return `k${id}x`;
}
