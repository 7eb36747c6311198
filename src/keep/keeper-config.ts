/** What a runner tells a keeper about the VM it hands over (plain JSON, over the IPC channel). */
import type { KernelInfo } from '../boot/kernel.js';

export interface KeeperConfig {
	id: string;
	name: string;
	qemuPid: number;
	qemuArgv: readonly string[];
	xchgDir: string;
	kernel: KernelInfo;
	accel: 'kvm' | 'tcg';
	sharedDir: string | undefined;
	env: Record<string, string>;
	cwd: string;
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
