import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { initramfsEntries } from '../../../src/boot/initramfs.js';
import { planInitramfs } from '../../../src/boot/initramfs-plan.js';

const MODULES_DEP = [
	'kernel/drivers/virtio/virtio.ko:',
	'kernel/drivers/virtio/virtio_ring.ko:',
	'kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
	'kernel/net/9p/9pnet.ko:',
	'kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko',
	'kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko',
	'kernel/fs/overlayfs/overlay.ko:',
	'kernel/net/core/failover.ko:',
	'kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko',
	'kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko kernel/net/core/failover.ko kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
	'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
].join('\n');

describe('the initramfs and network drivers', () => {
	it('packs virtio_net with failover and net_failover, apart from the modules loaded at boot', async () => {
		const temp = await tempDir({ unsafeCleanup: true });
		try {
			const modulesDir = path.join(temp.path, 'modules');
			for (const line of MODULES_DEP.split('\n')) {
				const file = path.join(modulesDir, line.slice(0, line.indexOf(':')));
				await mkdir(path.dirname(file), { recursive: true });
				await writeFile(file, 'module');
			}
			await writeFile(path.join(modulesDir, 'modules.dep'), `${MODULES_DEP}\n`);
			await writeFile(path.join(modulesDir, 'modules.alias'), 'alias virtio:d00000002v* virtio_blk\n');
			const busybox = path.join(temp.path, 'busybox');
			await writeFile(busybox, 'busybox');
			const plan = await planInitramfs({ busybox, modulesDir });
			expect(plan.networkModuleOrder).toEqual([
				'kernel/net/core/failover.ko',
				'kernel/drivers/net/net_failover.ko',
				'kernel/drivers/net/virtio_net.ko',
			]);
			expect(plan.moduleOrder.some((file) => file.includes('net/core') || file.includes('drivers/net'))).toBe(false);
			// The disk driver too, with the coldplug's table of its modaliases (it is not loaded at boot).
			expect(plan.deviceModuleOrder).toEqual(['kernel/drivers/block/virtio_blk.ko']);
			expect(plan.deviceAliases).toBe('virtio:d00000002v* virtio_blk.ko\n');
			expect(plan.moduleOrder).not.toContain('kernel/drivers/block/virtio_blk.ko');
		} finally {
			await temp.cleanup();
		}
	});

	it('lists the network drivers, dependencies first, in a file of their own that the guest reads only with a card', () => {
		const module = (name: string) => ({ name, data: Buffer.from(name) });
		const entries = initramfsEntries({
			busybox: Buffer.from('busybox'),
			applets: [],
			modules: [module('virtio.ko')],
			networkModules: [module('failover.ko'), module('net_failover.ko'), module('virtio_net.ko')],
			deviceModules: [module('virtio_blk.ko')],
			deviceAliases: 'virtio:d00000002v* virtio_blk.ko\n',
		});
		const file = (name: string) => entries.find((entry) => entry.path === name);
		expect(String((file('etc/vm-exec/net-modules') as unknown as { data: Buffer }).data)).toBe(
			'failover.ko\nnet_failover.ko\nvirtio_net.ko\n',
		);
		expect(String((file('etc/vm-exec/modules') as unknown as { data: Buffer }).data)).toBe('virtio.ko\n');
		expect(file('lib/modules/virtio_net.ko')).toBeDefined();
		expect(file('lib/modules/virtio_blk.ko')).toBeDefined();
		expect(String((file('etc/vm-exec/driver-aliases') as unknown as { data: Buffer }).data)).toBe('virtio:d00000002v* virtio_blk.ko\n');
	});

	it("gives busybox modprobe a modules.dep of the packed files under the kernel's release, so one process loads them all", () => {
		const module = (name: string) => ({ name, data: Buffer.from(name) });
		const entries = initramfsEntries({
			release: '6.1.0-26-amd64',
			busybox: Buffer.from('busybox'),
			applets: [],
			modules: [module('virtio.ko'), module('9p.ko')],
			networkModules: [module('virtio_net.ko')],
		});
		const dep = entries.find((entry) => entry.path === 'lib/modules/6.1.0-26-amd64/modules.dep') as { data: Buffer } | undefined;
		expect(String(dep?.data)).toBe('../virtio.ko:\n../9p.ko:\n../virtio_net.ko:\n');
		// An unknown or unsafe release gets none: the guest then loads the modules one by one.
		for (const release of [undefined, '../etc', 'a/b']) {
			const without = initramfsEntries({ release, busybox: Buffer.from('busybox'), applets: [], modules: [module('virtio.ko')] });
			expect(
				without.some((entry) => entry.path.endsWith('modules.dep')),
				String(release),
			).toBe(false);
		}
	});

	it("carries the init's pipes and an executable /bin/vmx-modprobe, so that the guest makes neither at boot", () => {
		const entries = initramfsEntries({ busybox: Buffer.from('busybox'), applets: [], modules: [] });
		const paths = entries.filter((entry) => entry.type === 'fifo').map((entry) => entry.path);
		expect(paths).toEqual([
			'pipes/runs',
			'pipes/started',
			'pipes/slot1',
			'pipes/slot2',
			'pipes/slot3',
			'pipes/slot4',
			'pipes/fstab',
			'pipes/unstage',
			'pipes/handover',
			'pipes/move',
			'pipes/accounts',
			'pipes/kmsg',
			'pipes/kmsggo',
			'stage/.pivot',
			'etc/vm-exec/dev/vmx-taint',
		]);
		expect(entries.find((entry) => entry.path === 'bin/vmx-modprobe')).toMatchObject({ type: 'file', mode: 0o755 });
	});
});
