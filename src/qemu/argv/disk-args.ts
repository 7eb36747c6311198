/**
 * The QEMU arguments of the VM's disks, as a pure function: one virtio-blk device per disk, in order, on
 * the arch's virtio transport (PCI on x86, MMIO on aarch64's virt machine), so the guest names them
 * /dev/vda, /dev/vdb, … (virtio_blk probes them in PCI slot order; on virt, QEMU gives the first
 * virtio-mmio device on the command line the transport Linux probes first).
 */
import { type ArchSpec, archSpec, virtioDevice } from '../../arch/arch.js';
import { escapeOptionValue } from './option-syntax.js';
import type { NormalizedDisk } from '../../disks/options.js';

export function buildDiskArgs(
	disks: readonly Pick<NormalizedDisk, 'path' | 'format' | 'readOnly' | 'serial'>[],
	spec: ArchSpec = archSpec('x86_64'),
): string[] {
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
		const device = [virtioDevice(spec, 'virtio-blk'), `drive=${id}`, ...(disk.serial ? [`serial=${disk.serial}`] : [])];
		return ['-drive', drive.join(','), '-device', device.join(',')];
	});
}
