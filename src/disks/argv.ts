/**
 * The QEMU arguments of the VM's disks, as a pure function: one virtio-blk PCI device per disk, in order,
 * so the guest names them /dev/vda, /dev/vdb, … (virtio_blk probes them in PCI slot order).
 */
import { escapeOptionValue } from '../qemu/argv.js';
import type { NormalizedDisk } from './options.js';

export function buildDiskArgs(disks: readonly Pick<NormalizedDisk, 'path' | 'format' | 'readOnly' | 'serial'>[]): string[] {
	return disks.flatMap((disk, index) => {
		const id = `vmx-disk${index}`;
		const drive = [
			'if=none',
			`id=${id}`,
			`file=${escapeOptionValue(disk.path)}`,
			`format=${disk.format}`,
			// QEMU refuses the guest's writes itself: the host file cannot change.
			`readonly=${disk.readOnly ? 'on' : 'off'}`,
			// Guest flushes (sync) reach the host file; the guest's data is in the host's page cache at once.
			'cache=writeback',
		];
		const device = ['virtio-blk-pci', `drive=${id}`, ...(disk.serial ? [`serial=${disk.serial}`] : [])];
		return ['-drive', drive.join(','), '-device', device.join(',')];
	});
}
