/**
 * Can this kernel run vm-exec's guest at all? Decided before QEMU starts, from the kernel's build
 * config (`/boot/config-<release>`) or, without one, from its modules directory (`modules.dep` and
 * `modules.builtin`). Pure: the caller reads the files. Debian's cloud kernel, for one, has no 9p: booting
 * it would hang until the boot timeout.
 */
import type { ArchSpec } from '../arch/arch.js';

export interface KernelNeed {
	/** The kernel config option. */
	config: string;
	/** Its module name (as in modules.dep and modules.builtin, `-` written `_`). */
	module: string;
	/** What the guest uses it for, in words. */
	what: string;
	/** The option must be built in (`=y`): nothing can load it in time. */
	builtIn?: boolean;
}

/** What the guest needs from a kernel of this arch. */
export function kernelNeeds(spec: ArchSpec): KernelNeed[] {
	return [
		{ config: 'CONFIG_DEVTMPFS', module: 'devtmpfs', what: 'devtmpfs (/dev)', builtIn: true },
		{ config: 'CONFIG_BLK_DEV_INITRD', module: 'initrd', what: 'initramfs support', builtIn: true },
		{ config: spec.serialDriver.config, module: spec.serialDriver.module, what: spec.serialDriver.what, builtIn: true },
		spec.virtioTransport === 'pci'
			? { config: 'CONFIG_VIRTIO_PCI', module: 'virtio_pci', what: 'virtio over PCI' }
			: { config: 'CONFIG_VIRTIO_MMIO', module: 'virtio_mmio', what: 'virtio over MMIO' },
		...(spec.control.kind === 'virtio-serial'
			? [{ config: 'CONFIG_VIRTIO_CONSOLE', module: 'virtio_console', what: 'virtio-serial (the control line)' }]
			: []),
		{ config: 'CONFIG_NET_9P', module: '9pnet', what: '9p networking' },
		{ config: 'CONFIG_NET_9P_VIRTIO', module: '9pnet_virtio', what: '9p over virtio (the root and exchange shares)' },
		{ config: 'CONFIG_9P_FS', module: '9p', what: 'the 9p file system' },
		{ config: 'CONFIG_OVERLAY_FS', module: 'overlay', what: 'overlayfs (the writable layer over the root)' },
	];
}

/** Parse a kernel `.config` into option → value (`y`, `m`, a string); unset options are absent. */
export function parseKernelConfig(text: string): Map<string, string> {
	const options = new Map<string, string>();
	for (const line of text.split('\n')) {
		const match = /^(CONFIG_\w+)=(.*)$/.exec(line.trim());
		if (match) options.set(match[1]!, match[2]!);
	}
	return options;
}

/** What a kernel is known to provide: its config, or the module names in modules.dep and modules.builtin. */
export type KernelFacts =
	| { kind: 'config'; source: string; config: ReadonlyMap<string, string> }
	| { kind: 'modules'; source: string; modules: ReadonlySet<string>; builtin: ReadonlySet<string> };

/** The needs this kernel does not meet (empty: it can work), each with why. */
export function findMissingKernelNeeds(facts: KernelFacts, needs: readonly KernelNeed[]): { need: KernelNeed; why: string }[] {
	const missing: { need: KernelNeed; why: string }[] = [];
	for (const need of needs) {
		if (facts.kind === 'config') {
			const value = facts.config.get(need.config);
			if (value === 'y') continue;
			if (value === 'm' && !need.builtIn) continue;
			missing.push({ need, why: value === 'm' ? `${need.config}=m (must be built in)` : `${need.config} is not set` });
		} else {
			// Without a config, only what modules.dep or modules.builtin names is known; options that are never
			// modules (devtmpfs, initrd) cannot be told apart from missing ones, so they are not judged.
			if (need.module === 'devtmpfs' || need.module === 'initrd') continue;
			if (facts.builtin.has(need.module)) continue;
			if (facts.modules.has(need.module) && !need.builtIn) continue;
			missing.push({
				need,
				why: facts.modules.has(need.module) ? `${need.module} is a module (must be built in)` : `no ${need.module} module, not built in`,
			});
		}
	}
	return missing;
}

/** One line naming what is missing, for errors and `doctor`. */
export function describeMissingNeeds(missing: readonly { need: KernelNeed; why: string }[]): string {
	return missing.map(({ need, why }) => `${need.what}: ${why}`).join('; ');
}

/** The release a kernel module was built for: the first word of its `vermagic=` modinfo string. */
export function readModuleVermagic(module: Buffer): string | undefined {
	const marker = module.indexOf('vermagic=');
	if (marker < 0) return undefined;
	const end = module.indexOf(0, marker);
	return module.toString('latin1', marker + 9, end > marker ? end : marker + 200).split(' ')[0] || undefined;
}
