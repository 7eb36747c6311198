import { describe, expect, it } from 'vitest';
import { addsDevices, addsUserMonitor, mayAddIdeDrives } from '../../../src/disks/qemu-args-devices.js';

describe('addsDevices', () => {
	it('sees the QEMU options that add devices', () => {
		expect(addsDevices(['-device', 'virtio-rng-pci'])).toBe(true);
		expect(addsDevices(['-drive', 'file=x.img,if=virtio'])).toBe(true);
		expect(addsDevices(['--device=e1000'])).toBe(true);
		expect(addsDevices(['-cdrom', 'x.iso'])).toBe(true);
		// A monitor of the user's can hot-add devices.
		expect(addsDevices(['-qmp', 'unix:/tmp/q,server=on,wait=off'])).toBe(true);
	});

	it('does not take memory or CPU options for devices', () => {
		expect(addsDevices([])).toBe(false);
		expect(addsDevices(['-m', '1G', '-cpu', 'max', '-smp', '2'])).toBe(false);
	});
});

describe('addsUserMonitor', () => {
	it('sees a QMP or HMP monitor, also one multiplexed on a serial port', () => {
		expect(addsUserMonitor(['-qmp', 'unix:/tmp/q,server=on,wait=off'])).toBe(true);
		expect(addsUserMonitor(['--monitor=unix:/tmp/m,server=on,wait=off'])).toBe(true);
		expect(addsUserMonitor(['-chardev', 'socket,id=m,path=/tmp/m', '-mon', 'chardev=m,mode=control'])).toBe(true);
		expect(addsUserMonitor(['-serial', 'mon:stdio'])).toBe(true);
		expect(addsDevices(['-serial', 'mon:stdio'])).toBe(true);
	});

	it('does not take devices or a plain serial port for a monitor', () => {
		expect(addsUserMonitor(['-device', 'virtio-rng-pci', '-serial', 'file:/tmp/s', '-chardev', 'socket,id=c,path=/tmp/c'])).toBe(false);
		expect(addsUserMonitor([])).toBe(false);
	});
});

describe('mayAddIdeDrives', () => {
	it('sees drives on the IDE controller, which is where a -drive with no if= goes', () => {
		expect(mayAddIdeDrives(['-hda', 'x.img'])).toBe(true);
		expect(mayAddIdeDrives(['-cdrom', 'x.iso'])).toBe(true);
		expect(mayAddIdeDrives(['-drive', 'file=x.img,format=raw'])).toBe(true);
		expect(mayAddIdeDrives(['--drive=file=x.img,if=ide'])).toBe(true);
		expect(mayAddIdeDrives(['-device', 'ide-hd,drive=d'])).toBe(true);
	});

	it('does not take virtio, NVMe or if=none drives for IDE ones', () => {
		expect(
			mayAddIdeDrives(['-drive', 'file=x.img,if=virtio', '-drive', 'file=y.img,if=none,id=n', '-device', 'nvme,drive=n,serial=a']),
		).toBe(false);
		expect(mayAddIdeDrives([])).toBe(false);
	});
});
