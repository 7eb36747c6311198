import { describe, expect, it } from 'vitest';
import { moduleNameOf, parseModulesBuiltin, parseModulesDep, resolveModuleLoadOrder } from '../../../src/kernel/module-deps.js';

// An excerpt of Debian 12's modules.dep (6.1): each line lists all dependencies, deepest last.
const MODULES_DEP = `kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/net/9p/9pnet.ko:
kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko
kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko
kernel/fs/netfs/netfs.ko:
kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/fscache/fscache.ko kernel/fs/netfs/netfs.ko
kernel/fs/overlayfs/overlay.ko.xz:
`;

describe('resolveModuleLoadOrder', () => {
	it('lists every module once, each after its dependencies', () => {
		const { order, missing } = resolveModuleLoadOrder(parseModulesDep(MODULES_DEP), ['virtio_pci', '9pnet_virtio', '9p', 'overlay']);
		expect(missing).toEqual([]);
		expect(new Set(order).size).toBe(order.length);
		const position = (name: string) => order.findIndex((file) => moduleNameOf(file) === name);
		for (const [module, dependency] of [
			['virtio_pci', 'virtio'],
			['virtio_pci', 'virtio_ring'],
			['9pnet_virtio', '9pnet'],
			['9p', 'netfs'],
			['fscache', 'netfs'],
			['9p', 'fscache'],
		]) {
			expect(position(dependency!)).toBeLessThan(position(module!));
		}
		expect(order.at(-1)).toBe('kernel/fs/overlayfs/overlay.ko.xz');
	});

	it('skips modules that are built into the kernel and reports unknown ones', () => {
		const builtin = parseModulesBuiltin('kernel/fs/overlayfs/overlay.ko\n');
		const dep = parseModulesDep(MODULES_DEP.replace(/^kernel\/fs\/overlayfs.*$/m, ''));
		expect(resolveModuleLoadOrder(dep, ['overlay', 'nosuch'], builtin)).toEqual({ order: [], missing: ['nosuch'] });
	});

	it('treats dashes and underscores in module names alike, as modprobe does', () => {
		expect(moduleNameOf('kernel/drivers/net/virtio-net.ko.zst')).toBe('virtio_net');
		const dep = parseModulesDep('kernel/drivers/net/virtio_net.ko:\n');
		expect(resolveModuleLoadOrder(dep, ['virtio-net']).order).toEqual(['kernel/drivers/net/virtio_net.ko']);
	});
});
