import { describe, expect, it } from 'vitest';
import { archSpec } from '../../../src/arch/arch.js';
import {
	describeMissingNeeds,
	findMissingKernelNeeds,
	kernelNeeds,
	parseKernelConfig,
	readModuleVermagic,
} from '../../../src/kernel/kernel-check.js';
import { readBusyboxApplets } from '../../../src/boot/busybox-applets.js';

/** What Debian's standard amd64 kernel has: virtio PCI, 9p and overlay as modules, 8250 built in. */
const DEBIAN_AMD64 = `
CONFIG_DEVTMPFS=y
CONFIG_BLK_DEV_INITRD=y
CONFIG_SERIAL_8250=y
CONFIG_VIRTIO_PCI=m
CONFIG_NET_9P=m
CONFIG_NET_9P_VIRTIO=m
CONFIG_9P_FS=m
CONFIG_OVERLAY_FS=m
`;

describe('findMissingKernelNeeds from a kernel config', () => {
	const x86 = kernelNeeds(archSpec('x86_64'));

	it('accepts a distribution kernel with its needs as modules', () => {
		expect(findMissingKernelNeeds({ kind: 'config', source: 'c', config: parseKernelConfig(DEBIAN_AMD64) }, x86)).toEqual([]);
	});

	it("names what Debian's cloud kernel lacks: 9p", () => {
		const cloud = parseKernelConfig(
			DEBIAN_AMD64.replace('CONFIG_9P_FS=m', '# CONFIG_9P_FS is not set').replace('CONFIG_NET_9P_VIRTIO=m', ''),
		);
		const missing = findMissingKernelNeeds({ kind: 'config', source: 'c', config: cloud }, x86);
		expect(missing.map((entry) => entry.need.config)).toEqual(['CONFIG_NET_9P_VIRTIO', 'CONFIG_9P_FS']);
		expect(describeMissingNeeds(missing)).toBe(
			'9p over virtio (the root and exchange shares): CONFIG_NET_9P_VIRTIO is not set; the 9p file system: CONFIG_9P_FS is not set',
		);
	});

	it('requires the serial driver built in, not as a module', () => {
		const config = parseKernelConfig(DEBIAN_AMD64.replace('CONFIG_SERIAL_8250=y', 'CONFIG_SERIAL_8250=m'));
		expect(findMissingKernelNeeds({ kind: 'config', source: 'c', config }, x86).map((entry) => entry.why)).toEqual([
			'CONFIG_SERIAL_8250=m (must be built in)',
		]);
	});

	it('asks an aarch64 kernel for virtio MMIO, the virtio console and PL011 instead', () => {
		const arm = kernelNeeds(archSpec('aarch64'));
		const missing = findMissingKernelNeeds({ kind: 'config', source: 'c', config: parseKernelConfig(DEBIAN_AMD64) }, arm);
		expect(missing.map((entry) => entry.need.config)).toEqual(['CONFIG_SERIAL_AMBA_PL011', 'CONFIG_VIRTIO_MMIO', 'CONFIG_VIRTIO_CONSOLE']);
	});
});

describe('findMissingKernelNeeds from modules.dep and modules.builtin', () => {
	const x86 = kernelNeeds(archSpec('x86_64'));
	const modules = new Set(['virtio_pci', '9pnet', '9pnet_virtio', '9p', 'overlay']);

	it('accepts modules or built-ins', () => {
		expect(findMissingKernelNeeds({ kind: 'modules', source: 'm', modules, builtin: new Set(['8250']) }, x86)).toEqual([]);
	});

	it('names a missing module', () => {
		const without9p = new Set([...modules].filter((name) => name !== '9p'));
		const missing = findMissingKernelNeeds({ kind: 'modules', source: 'm', modules: without9p, builtin: new Set(['8250']) }, x86);
		expect(missing.map((entry) => entry.why)).toEqual(['no 9p module, not built in']);
	});
});

describe('module and busybox metadata', () => {
	it("reads a module's release from its vermagic", () => {
		const module = Buffer.from('\0license=GPL\0vermagic=6.1.0-28-arm64 SMP mod_unload modversions aarch64\0name=9p\0', 'latin1');
		expect(readModuleVermagic(module)).toBe('6.1.0-28-arm64');
		expect(readModuleVermagic(Buffer.from('no modinfo'))).toBeUndefined();
	});

	it('reads the applet table of a busybox binary without running it', () => {
		const binary = Buffer.from('\x7fELF junk\0[\0[[\0acpid\0ash\0zcat\0\x01\x02binary', 'latin1');
		expect(readBusyboxApplets(binary)).toEqual(['[', '[[', 'acpid', 'ash', 'zcat']);
		expect(readBusyboxApplets(Buffer.from('no table'))).toEqual([]);
	});
});
