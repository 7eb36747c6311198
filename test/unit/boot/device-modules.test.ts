import { describe, expect, it } from 'vitest';
import { parseModulesDep } from '../../../src/kernel/module-deps.js';
import { deviceModuleFiles, formatDeviceAliases, resolveDeviceAliases } from '../../../src/boot/device-modules.js';

const DEP = parseModulesDep(
	[
		'kernel/drivers/virtio/virtio.ko:',
		'kernel/drivers/virtio/virtio_ring.ko:',
		'kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
		'kernel/drivers/char/hw_random/virtio-rng.ko.xz: kernel/drivers/virtio/virtio.ko kernel/drivers/virtio/virtio_ring.ko',
		'kernel/drivers/nvme/host/nvme.ko: kernel/drivers/nvme/host/nvme-core.ko',
	].join('\n'),
);
const ALIASES = [
	'# Aliases extracted from modules themselves.',
	'alias virtio:d00000004v* virtio_rng',
	'alias virtio:d00000002v* virtio_blk',
	'alias pci:v*d*sv*sd*bc01sc08i02* nvme',
].join('\n');
const AT_BOOT = ['kernel/drivers/virtio/virtio.ko', 'kernel/drivers/virtio/virtio_ring.ko'];

describe('the device drivers the initramfs carries', () => {
	it('lists the virtio disk and RNG drivers by their modaliases, without what the init loads at boot', () => {
		expect(formatDeviceAliases(resolveDeviceAliases(ALIASES, DEP, AT_BOOT))).toBe(
			'virtio:d00000002v* virtio_blk.ko\nvirtio:d00000004v* virtio-rng.ko\n',
		);
		expect(deviceModuleFiles(DEP, AT_BOOT)).toEqual([
			'kernel/drivers/block/virtio_blk.ko',
			'kernel/drivers/char/hw_random/virtio-rng.ko.xz',
		]);
	});

	it('leaves out a driver built into the kernel (it binds by itself)', () => {
		const dep = parseModulesDep('kernel/drivers/char/hw_random/virtio-rng.ko:');
		expect(resolveDeviceAliases(ALIASES, dep, [], new Set(['virtio_blk']))).toEqual([
			{ glob: 'virtio:d00000004v*', files: ['virtio-rng.ko'] },
		]);
	});
});
