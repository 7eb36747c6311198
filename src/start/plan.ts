/**
 * What one VM is, as data: the QEMU plan its argv is built from, and the settings its guest gets after
 * the snapshot point (boot.env), which is where everything per VM must travel.
 */
import path from 'node:path';
import { archSpec } from '../arch/arch.js';
import type { KernelInfo } from '../kernel/kernel.js';
import type { Deadline } from '../lifecycle/deadline.js';
import type { Workspace } from '../lifecycle/workspace.js';
import type { ResourceStack } from '../lifecycle/resource-stack.js';
import type { NetworkPlan } from '../qemu/argv/network-args.js';
import type { NormalizedVmOptions } from '../options.js';
import { isHiddenInGuest } from '../protocol/exec-files.js';
import type { QemuPlan } from '../qemu/argv/qemu-argv.js';
import type { LaunchPriority } from '../qemu/launch-priority.js';
import type { Artifacts } from './artifacts.js';
import type { VmDisk } from '../disks/prepare.js';
import { addsDevices, addsUserMonitor, mayAddIdeDrives } from '../disks/qemu-args-devices.js';

/** What a boot needs besides its QEMU plan. */
export interface BootContext {
	options: NormalizedVmOptions;
	artifacts: Artifacts;
	accel: 'kvm' | 'tcg';
	/** Where the boot registers the undo of what it acquires (QEMU). */
	resources: ResourceStack;
	/** The start's one deadline (`bootTimeout`) and abort signal, shared by every step and path of it. */
	deadline: Deadline;
	/** A VM the warm pool starts ahead launches at low CPU priority (qemu/launch-priority.ts). */
	launchPriority?: LaunchPriority | undefined;
	/** The VM's network cards, if any. */
	network?: NetworkPlan;
	/** The VM's disk images (checked and created). */
	disks?: readonly VmDisk[];
}

/** Where the gdb stub of a VM with the `gdb` option listens. */
export function gdbSocketPath(workspace: Workspace): string {
	return path.join(workspace.root, 'gdb.sock');
}

/** The QEMU plan of one VM. */
export function planQemu(context: BootContext, workspace: Workspace, sharedDir: string | undefined): QemuPlan {
	const { options, artifacts } = context;
	const spec = archSpec(options.arch);
	return {
		arch: options.arch,
		kernel: artifacts.bootKernel,
		initramfs: artifacts.initramfs,
		bios: artifacts.bios,
		accel: context.accel,
		cpuModel: spec.arch === 'x86_64' ? artifacts.cpuModel : context.accel === 'kvm' ? spec.kvmCpu : spec.tcgCpu,
		memoryMiB: options.memoryMiB,
		cpus: options.cpus,
		consoleSocket: workspace.consoleSocket,
		controlSocket: workspace.controlSocket,
		qmpSocket: workspace.qmpSocket,
		xchgDir: workspace.xchgDir,
		sharedDir: sharedDir ?? workspace.emptyDir,
		hostRoot: options.root ?? '/',
		modulesShare: modulesShareOf(options.root, artifacts.kernel.modulesDir),
		// A console someone watches should show the boot messages (later flags win over `quiet loglevel=1`).
		// A debugger needs the kernel where its symbols say (vmlinux booted through PVH skips KASLR anyway,
		// but a bzImage given as `kernel` would not).
		extraKernelFlags: [...(options.console === 'inherit' ? ['loglevel=7'] : []), ...(options.gdb ? ['nokaslr'] : [])],
		...(options.gdb ? { gdbSocket: gdbSocketPath(workspace) } : {}),
		qemuArgs: options.qemuArgs,
		// A monitor of the user's can hot-add a device (device_add): the guest needs ACPI PCI hotplug to see it.
		acpiHotplug: addsUserMonitor(options.qemuArgs),
		...context.network,
		disks: context.disks,
	};
}

/** A modules directory the guest cannot see in its `root` comes as a share of its own. */
function modulesShareOf(root: string | undefined, modulesDir: string): string | undefined {
	if (!root) return undefined;
	const relative = path.relative(root, modulesDir);
	return relative.startsWith('..') || path.isAbsolute(relative) ? modulesDir : undefined;
}

/** The guest's settings for boot.env (the network's are added by the caller). */
export function planGuestSettings(options: NormalizedVmOptions, kernel: KernelInfo, sharedDir: string | undefined) {
	const defaultModules = [`/lib/modules/${kernel.release}`, `/usr/lib/modules/${kernel.release}`];
	const devices = {
		extraDevices: options.disks.length > 0 || addsDevices(options.qemuArgs),
		ideDrives: mayAddIdeDrives(options.qemuArgs),
	};
	if (options.root) {
		// Paths in another root are that root's: no host path to expose; the modules are a share or in the root.
		const share = modulesShareOf(options.root, kernel.modulesDir);
		const inRoot = share ? undefined : `/${path.relative(options.root, kernel.modulesDir)}`;
		return {
			hostname: 'vm-exec',
			shared: sharedDir !== undefined,
			expose: [],
			modulesDir: inRoot && !defaultModules.includes(inRoot) ? inRoot : undefined,
			modulesShare: share !== undefined,
			...devices,
		};
	}
	// A working directory that is also the shared one is exposed too: the share is at /tmp/shared, and an exec
	// must still find its working directory (`cd /tmp/x && vm-exec --shared=$PWD …`).
	const expose = [options.cwd, kernel.modulesDir].filter((p, index, all) => isHiddenInGuest(p) && all.indexOf(p) === index);
	return {
		hostname: 'vm-exec',
		shared: sharedDir !== undefined,
		...devices,
		expose,
		modulesDir: defaultModules.includes(kernel.modulesDir) ? undefined : kernel.modulesDir,
	};
}
