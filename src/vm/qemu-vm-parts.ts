/**
 * What `startVm` hands to the `QemuVm` it creates: its QEMU, control line, exchange dir and everything it
 * acquired. Its own file, because both the VM (qemu-vm.ts) and the registry of VM internals
 * (internals-registry.ts, for the shell and keeping a failed test's VM) speak of it.
 */
import type { KernelInfo } from '../kernel/kernel.js';
import type { VmDisk } from '../disks/prepare.js';
import type { ResourceStack } from '../lifecycle/resource-stack.js';
import type { VmNetwork } from '../network/setup.js';
import type { KernelReportPolicy } from '../options.js';
import type { ControlChannel } from '../protocol/control-channel.js';
import type { RunningQemu } from '../qemu/launch.js';

/** What `startVm` hands to the `QemuVm` it creates. */
export interface QemuVmParts {
	qemu: RunningQemu;
	control: ControlChannel;
	xchgDir: string;
	kernel: KernelInfo;
	accel: 'kvm' | 'tcg';
	sharedDir: string | undefined;
	env: Record<string, string>;
	cwd: string;
	/** Everything acquired for the VM, QEMU included: released on close, or when QEMU dies. */
	resources: ResourceStack;
	/** The VM's networking (absent: loopback only). */
	network?: VmNetwork;
	/** Whether the VM was restored from a snapshot or booted cold. */
	bootedFrom?: 'snapshot' | 'cold';
	/** The `disks` option's images. */
	disks?: readonly VmDisk[];
	/** The gdb stub's socket, with the `gdb` option. */
	gdbSocket?: string;
	/** `'fail'`: an exec during which the kernel reported a problem rejects with a `VmKernelError` (the `kernelReports` option). */
	kernelReports?: KernelReportPolicy;
	/** The liveness check while execs wait (`VM_EXEC_LIVENESS`, read by the options gate). @default true */
	liveness?: boolean;
	/** The start of the VM's exec ids, when it must differ from this process's default (a keeper's: see GuestExecs). */
	execIdPrefix?: string;
	/** With the `keep` option: what handing the VM over to a keeper needs (src/keep/keep-vm.ts). */
	keep?: { limitMs: number; workspace: string; release(): void };
}
