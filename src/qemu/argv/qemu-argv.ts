/**
 * The QEMU command line, built by a pure function from a plan. Passed to execa as an array: no shell.
 */
import { type Arch, type ArchSpec, archSpec, virtioDevice } from '../../arch/arch.js';
import { buildNetworkArgs, type NetworkPlan } from './network-args.js';
import { buildDiskArgs } from './disk-args.js';
import type { NormalizedDisk } from '../../disks/options.js';
import { escapeOptionValue } from './option-syntax.js';

/** Kernel flags measured to shorten the boot under software emulation (see DESIGN.md), for every arch. */
export const COMMON_KERNEL_FLAGS = [
	'quiet',
	// loglevel=1 still prints KERN_EMERG lines such as "Kernel panic - not syncing", which a crash report needs.
	'loglevel=1',
	'mitigations=off',
	// Crypto self-tests cost ~0.4 s of boot under emulation.
	'cryptomgr.notests',
	// ACPI table parsing and ACPI PCI probing cost ~1 s under emulation; the VM needs neither (it is
	// stopped by QEMU, not powered off, and SMP and PCI work from the MP and PCI tables).
	'acpi=off',
	// Panic → reboot at once; with -no-reboot QEMU then exits, and the host sees the crash.
	'panic=-1',
	'rdinit=/init',
] as const;

/**
 * Kernel flags that make a frozen guest report itself on the console soon, before the host's liveness
 * check gives up on it (UNRESPONSIVE_AFTER_MS, 12 s): the soft lockup detector reports a CPU stuck in the
 * kernel after 2 × watchdog_thresh = 4 s (default 20 s; under a loaded emulated host the report comes ~8 s after the lockup begins), without panicking (a report, not a crash: the
 * evidence stays for the host to collect), and a task blocked for 10 s (default 120 s) is reported too.
 * Measured not to slow the boot (bench/freeze.ts).
 */
export const LOCKUP_REPORT_KERNEL_FLAGS = ['watchdog_thresh=2', 'softlockup_panic=0', 'sysctl.kernel.hung_task_timeout_secs=10'] as const;

/** The kernel flags of an x86_64 guest (its console, then the x86 flags, then the common ones). */
export const FAST_BOOT_KERNEL_FLAGS = [
	'console=ttyS0',
	'quiet',
	'loglevel=1',
	...archSpec('x86_64').kernelFlags,
	...COMMON_KERNEL_FLAGS.slice(2),
] as const;

export interface QemuPlan extends NetworkPlan {
	/** The guest's architecture. @default 'x86_64' */
	arch?: Arch | undefined;
	kernel: string;
	initramfs: string;
	/** Firmware to use instead of SeaBIOS (qboot), when installed. */
	bios: string | undefined;
	accel: 'kvm' | 'tcg';
	/** `-cpu`: undefined keeps QEMU's default model (x86-64 baseline). */
	cpuModel?: string | undefined;
	memoryMiB: number;
	cpus: number;
	consoleSocket: string;
	controlSocket: string;
	qmpSocket: string;
	xchgDir: string;
	/** The directory behind the `shared` mount tag (an empty dir when the VM has no shared dir). */
	sharedDir: string;
	/** The host directory shared read-only as the guest's lower root (`/`, or the `root` option). */
	hostRoot: string;
	/** A modules directory outside `hostRoot`, shared read-only as the `modules` tag. */
	modulesShare?: string | undefined;
	extraKernelFlags?: readonly string[];
	qemuArgs?: readonly string[];
	/**
	 * Guest RAM backed by a file instead of anonymous memory, for snapshots: `shared` (the VM that saves a
	 * snapshot writes its RAM into the file, so the saved state need not carry it) or private (a VM
	 * restored from the snapshot maps the file copy-on-write: it starts with the saved RAM without reading
	 * it, and never changes the file).
	 */
	memoryFile?: { path: string; shared: boolean; sizeMiB: number } | undefined;
	/** A unix socket for QEMU's gdb stub (the `gdb` option); none when undefined. */
	gdbSocket?: string | undefined;
	/** `-incoming` value: `'defer'` starts QEMU waiting for a saved state (a snapshot) to be loaded over QMP. */
	incoming?: string | undefined;
	/**
	 * The guest gets ACPI, for PCI hotplug (x86): `acpi=noirq` instead of `acpi=off`. A VM whose user has a
	 * monitor can `device_add` a card, which the pc machine announces through ACPI only. ACPI's cost was
	 * its PCI interrupt routing (AML for each device's interrupt link, ~0.45 s a device under emulation):
	 * `noirq` skips that (virtio uses MSI-X, the rest the MP table), and the hotplug still works.
	 */
	acpiHotplug?: boolean | undefined;
	/** The `disks` option's images, attached as virtio disks after the network cards. */
	disks?: readonly Pick<NormalizedDisk, 'path' | 'format' | 'readOnly' | 'serial'>[] | undefined;
}

function virtfs(spec: ArchSpec, id: string, dir: string, readonly: boolean): string[] {
	const options = [`local`, `id=${id}`, `path=${escapeOptionValue(dir)}`, 'security_model=none'];
	// The host root spans several file systems: remap inode numbers so they stay unique in the guest.
	if (readonly) options.push('readonly=on', 'multidevs=remap');
	return ['-fsdev', options.join(','), '-device', `${virtioDevice(spec, 'virtio-9p')},fsdev=${id},mount_tag=${id}`];
}

function chardevSocket(id: string, socketPath: string): string[] {
	// The host listens and QEMU connects (server=off): nothing QEMU writes can be lost before we connect.
	return ['-chardev', `socket,id=${id},path=${escapeOptionValue(socketPath)}`];
}

export function buildKernelCommandLine(extra: readonly string[] = [], arch: Arch = 'x86_64', acpiHotplug = false): string {
	if (arch === 'x86_64') {
		// Replaced, not overridden by a later flag: acpi=off also turns ACPI's PCI support off for good.
		const flags = FAST_BOOT_KERNEL_FLAGS.map((flag) => (acpiHotplug && flag === 'acpi=off' ? 'acpi=noirq' : flag));
		return [...flags, ...LOCKUP_REPORT_KERNEL_FLAGS, ...extra].join(' ');
	}
	const spec = archSpec(arch);
	return [
		`console=${spec.consoleDevice}`,
		...COMMON_KERNEL_FLAGS.slice(0, 2),
		...spec.kernelFlags,
		...COMMON_KERNEL_FLAGS.slice(2),
		...LOCKUP_REPORT_KERNEL_FLAGS,
		...extra,
	].join(' ');
}

/** The console and the control line: two serial ports (x86), or the one PL011 and a virtio console (hvc0). */
function consoleAndControl(spec: ArchSpec, plan: QemuPlan): string[] {
	const console = [...chardevSocket('console', plan.consoleSocket), '-serial', 'chardev:console'];
	if (spec.control.kind === 'serial') return [...console, ...chardevSocket('control', plan.controlSocket), '-serial', 'chardev:control'];
	return [
		...console,
		...chardevSocket('control', plan.controlSocket),
		'-device',
		`${virtioDevice(spec, 'virtio-serial')},id=vmxserial`,
		'-device',
		'virtconsole,bus=vmxserial.0,chardev=control,name=vmx',
	];
}

export function buildQemuArgv(plan: QemuPlan): string[] {
	const spec = archSpec(plan.arch ?? 'x86_64');
	return [
		'-nodefaults',
		'-no-user-config',
		'-display',
		'none',
		'-machine',
		plan.memoryFile ? `${spec.machine},memory-backend=ram` : spec.machine,
		'-accel',
		plan.accel === 'kvm' ? 'kvm' : 'tcg',
		...(plan.cpuModel ? ['-cpu', plan.cpuModel] : []),
		'-m',
		String(plan.memoryMiB),
		...(plan.memoryFile
			? [
					'-object',
					`memory-backend-file,id=ram,size=${plan.memoryFile.sizeMiB}M,mem-path=${escapeOptionValue(plan.memoryFile.path)},share=${plan.memoryFile.shared ? 'on' : 'off'}`,
				]
			: []),
		'-smp',
		String(plan.cpus),
		...(plan.bios ? ['-bios', plan.bios] : []),
		'-kernel',
		plan.kernel,
		'-initrd',
		plan.initramfs,
		'-append',
		buildKernelCommandLine(plan.extraKernelFlags, spec.arch, plan.acpiHotplug ?? false),
		...consoleAndControl(spec, plan),
		...chardevSocket('qmp', plan.qmpSocket),
		'-mon',
		'chardev=qmp,mode=control',
		// Order matters for snapshots: restored VMs must have the same devices in the same order.
		...virtfs(spec, 'hostroot', plan.hostRoot, true),
		...virtfs(spec, 'xchg', plan.xchgDir, false),
		...virtfs(spec, 'shared', plan.sharedDir, false),
		// A `root` without the kernel's modules in it gets them as a share of their own (mounted after `go`).
		...(plan.modulesShare ? virtfs(spec, 'modules', plan.modulesShare, true) : []),
		// Network cards come last, and only when asked for, so VMs without them keep the same device set.
		...buildNetworkArgs(plan, spec),
		...buildDiskArgs(plan.disks ?? [], spec),
		'-no-reboot',
		// The gdb stub listens on a unix socket: no port to race for, nothing reachable from the network, and
		// its path lies in the per-VM dir, so VMs with a stub share one snapshot.
		...(plan.gdbSocket ? ['-gdb', `unix:${escapeOptionValue(plan.gdbSocket)},server=on,wait=off`] : []),
		...(plan.incoming ? ['-incoming', plan.incoming] : []),
		...(plan.qemuArgs ?? []),
	];
}
