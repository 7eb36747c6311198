import { describe, expect, it } from 'vitest';
import { archSpec } from '../../../../src/arch/arch.js';
import { buildDiskArgs } from '../../../../src/qemu/argv/disk-args.js';

describe('buildDiskArgs', () => {
	it('gives each disk a virtio-blk device, in order, with its format, read-only flag and serial', () => {
		expect(
			buildDiskArgs([
				{ path: '/a/root.img', format: 'raw', readOnly: false, serial: undefined },
				{ path: '/b,c/d.qcow2', format: 'qcow2', readOnly: true, serial: 'data' },
			]),
		).toEqual([
			'-drive',
			'if=none,id=vmx-disk0,file=/a/root.img,format=raw,readonly=off,cache=writeback',
			'-device',
			'virtio-blk-pci,drive=vmx-disk0',
			'-drive',
			'if=none,id=vmx-disk1,file=/b,,c/d.qcow2,format=qcow2,readonly=on,cache=writeback',
			'-device',
			'virtio-blk-pci,drive=vmx-disk1,serial=data',
		]);
		expect(buildDiskArgs([])).toEqual([]);
	});

	it('uses the virtio-mmio transport on aarch64', () => {
		expect(buildDiskArgs([{ path: '/a.img', format: 'raw', readOnly: false, serial: 's' }], archSpec('aarch64'))).toEqual([
			'-drive',
			'if=none,id=vmx-disk0,file=/a.img,format=raw,readonly=off,cache=writeback',
			'-device',
			'virtio-blk-device,drive=vmx-disk0,serial=s',
		]);
	});
});
