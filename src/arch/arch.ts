/**
 * What differs per guest architecture: the QEMU binary and machine, the CPU model, the console and
 * control devices, the virtio transport, and what the kernel image and ELF files look like. Pure data:
 * the argv builder, the kernel checks and the guest init read it, and nothing else decides per arch.
 */

/** A guest architecture vm-exec can boot. */
export type Arch = 'x86_64' | 'aarch64';

export const ARCHES: readonly Arch[] = ['x86_64', 'aarch64'];

export interface ArchSpec {
	arch: Arch;
	/** The QEMU system emulator for it. */
	qemuBinary: string;
	/** The Debian package that has it (for install hints). */
	qemuPackage: string;
	/** Debian's name for the architecture (packages, kernel flavours). */
	debianArch: string;
	/** `-machine` (memory-backend is appended when guest RAM is file-backed). */
	machine: string;
	/**
	 * `-cpu` under software emulation: undefined keeps QEMU's default. aarch64 uses cortex-a57 because `max`
	 * (the default for `-M virt` is a 32-bit cortex-a15) boots 3× slower: pointer authentication is slow to emulate.
	 */
	tcgCpu: string | undefined;
	/** `-cpu` under KVM. */
	kvmCpu: string | undefined;
	/** Whether qboot (x86 firmware) applies. */
	usesQboot: boolean;
	/** The kernel console device (the first serial port of the machine). */
	consoleDevice: string;
	/**
	 * How the control line reaches the guest: a second serial port (x86: ttyS1, built into the kernel), or
	 * a virtio console, hvc0 (aarch64's `virt` machine has one PL011 only). Both are ttys, which several
	 * processes may hold open at once (a plain virtio-serial port opens only once: the runner's replies failed).
	 */
	control: { kind: 'serial'; device: string } | { kind: 'virtio-serial' };
	/**
	 * The virtio transport: PCI on x86 (`virtio-9p-pci`), MMIO on aarch64 (`virtio-9p-device`): on `virt`,
	 * MMIO needs no PCI bus enumeration and reached `/init` ~0.4 s sooner under emulation than PCI.
	 */
	virtioTransport: 'pci' | 'mmio';
	/** The module of that transport (loaded by the guest init when it is not built in). */
	transportModule: string;
	/** Modules the control channel needs beyond the transport. */
	controlModules: readonly string[];
	/** ELF `e_machine` of its programs and of an ELF kernel image. */
	elfMachine: number;
	/** Kernel flags that only apply to this arch (x86's PC devices and TSC). */
	kernelFlags: readonly string[];
	/** The serial driver the console needs built in: a kernel config option and its name in modules.builtin. */
	serialDriver: { config: string; module: string; what: string };
}

const X86_64: ArchSpec = {
	arch: 'x86_64',
	qemuBinary: 'qemu-system-x86_64',
	qemuPackage: 'qemu-system-x86',
	debianArch: 'amd64',
	machine: 'pc',
	tcgCpu: undefined,
	kvmCpu: undefined,
	usesQboot: true,
	consoleDevice: 'ttyS0',
	control: { kind: 'serial', device: 'ttyS1' },
	virtioTransport: 'pci',
	transportModule: 'virtio_pci',
	controlModules: [],
	elfMachine: 62,
	kernelFlags: ['no_timer_check', 'tsc=reliable', 'i8042.noaux', 'i8042.nokbd', 'i8042.nopnp'],
	serialDriver: { config: 'CONFIG_SERIAL_8250', module: '8250', what: 'the 8250 serial driver (console and control line)' },
};

const AARCH64: ArchSpec = {
	arch: 'aarch64',
	qemuBinary: 'qemu-system-aarch64',
	qemuPackage: 'qemu-system-arm',
	debianArch: 'arm64',
	machine: 'virt',
	tcgCpu: 'cortex-a57',
	kvmCpu: 'host',
	usesQboot: false,
	consoleDevice: 'ttyAMA0',
	control: { kind: 'virtio-serial' },
	virtioTransport: 'mmio',
	transportModule: 'virtio_mmio',
	controlModules: ['virtio_console'],
	elfMachine: 183,
	kernelFlags: [],
	serialDriver: { config: 'CONFIG_SERIAL_AMBA_PL011', module: 'amba_pl011', what: 'the PL011 serial driver (console)' },
};

const SPECS: Record<Arch, ArchSpec> = { x86_64: X86_64, aarch64: AARCH64 };

/** The description of an architecture. */
export function archSpec(arch: Arch): ArchSpec {
	return SPECS[arch];
}

/** The host's architecture in vm-exec's names, or undefined for one vm-exec cannot boot. */
export function hostArch(nodeArch: string = process.arch): Arch | undefined {
	if (nodeArch === 'x64') return 'x86_64';
	if (nodeArch === 'arm64') return 'aarch64';
	return undefined;
}

/** The architecture an ELF `e_machine` value stands for. */
export function archOfElfMachine(machine: number): Arch | undefined {
	return ARCHES.find((arch) => SPECS[arch].elfMachine === machine);
}

/** A virtio device's QEMU name on this arch's transport: `virtio-9p` → `virtio-9p-pci` or `virtio-9p-device`. */
export function virtioDevice(spec: ArchSpec, base: string): string {
	return `${base}-${spec.virtioTransport === 'pci' ? 'pci' : 'device'}`;
}
