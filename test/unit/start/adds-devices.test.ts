import { describe, expect, it } from 'vitest';
import { addsDevices } from '../../../src/start/plan.js';

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
