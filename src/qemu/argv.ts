/**
 * The QEMU command line, built by a pure function from a plan. Passed to execa as an array: no shell.
 */
import { buildNetworkArgs, type NetworkPlan } from '../network/argv.js';

/** Kernel flags measured to shorten the boot under software emulation (see DESIGN.md). */
export const FAST_BOOT_KERNEL_FLAGS = [
	'console=ttyS0',
	'quiet',
	// loglevel=1 still prints KERN_EMERG lines such as "Kernel panic - not syncing", which a crash report needs.
	'loglevel=1',
	'no_timer_check',
	'tsc=reliable',
	'i8042.noaux',
	'i8042.nokbd',
	'i8042.nopnp',
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

export interface QemuPlan extends NetworkPlan {
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
	/** The host directory shared read-only as the guest's lower root. */
	hostRoot: string;
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
}

function virtfs(id: string, dir: string, readonly: boolean): string[] {
	const options = [`local`, `id=${id}`, `path=${escapeOptionValue(dir)}`, 'security_model=none'];
	// The host root spans several file systems: remap inode numbers so they stay unique in the guest.
	if (readonly) options.push('readonly=on', 'multidevs=remap');
	return ['-fsdev', options.join(','), '-device', `virtio-9p-pci,fsdev=${id},mount_tag=${id}`];
}

/** QEMU's option syntax splits on commas; a literal comma in a value is written twice. */
export function escapeOptionValue(value: string): string {
	return value.replaceAll(',', ',,');
}

function chardevSocket(id: string, socketPath: string): string[] {
	// The host listens and QEMU connects (server=off): nothing QEMU writes can be lost before we connect.
	return ['-chardev', `socket,id=${id},path=${escapeOptionValue(socketPath)}`];
}

export function buildKernelCommandLine(extra: readonly string[] = []): string {
	return [...FAST_BOOT_KERNEL_FLAGS, ...extra].join(' ');
}

export function buildQemuArgv(plan: QemuPlan): string[] {
	return [
		'-nodefaults',
		'-no-user-config',
		'-display',
		'none',
		'-machine',
		plan.memoryFile ? 'pc,memory-backend=ram' : 'pc',
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
		buildKernelCommandLine(plan.extraKernelFlags),
		...chardevSocket('console', plan.consoleSocket),
		'-serial',
		'chardev:console',
		...chardevSocket('control', plan.controlSocket),
		'-serial',
		'chardev:control',
		...chardevSocket('qmp', plan.qmpSocket),
		'-mon',
		'chardev=qmp,mode=control',
		// Order matters for snapshots: restored VMs must have the same devices in the same order.
		...virtfs('hostroot', plan.hostRoot, true),
		...virtfs('xchg', plan.xchgDir, false),
		...virtfs('shared', plan.sharedDir, false),
		// Network cards come last, and only when asked for, so VMs without them keep the same device set.
		...buildNetworkArgs(plan),
		'-no-reboot',
		// The gdb stub listens on a unix socket: no port to race for, nothing reachable from the network, and
		// its path lies in the per-VM dir, so VMs with a stub share one snapshot.
		...(plan.gdbSocket ? ['-gdb', `unix:${escapeOptionValue(plan.gdbSocket)},server=on,wait=off`] : []),
		...(plan.incoming ? ['-incoming', plan.incoming] : []),
		...(plan.qemuArgs ?? []),
	];
}
