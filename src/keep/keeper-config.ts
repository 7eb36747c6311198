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
