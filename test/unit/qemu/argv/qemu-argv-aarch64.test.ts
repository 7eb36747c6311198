import { describe, expect, it } from 'vitest';
import {
	buildKernelCommandLine,
	buildQemuArgv,
	FAST_BOOT_KERNEL_FLAGS,
	LOCKUP_REPORT_KERNEL_FLAGS,
} from '../../../../src/qemu/argv/qemu-argv.js';
import { samplePlan } from '../../../helpers/qemu-plan.js';

const plan = { ...samplePlan(), arch: 'aarch64' as const, bios: undefined, cpuModel: 'cortex-a57', kernel: '/k/Image' };

describe('buildQemuArgv for aarch64', () => {
	it('builds the virt machine with a PL011 console, a virtio console for control and MMIO 9p shares', () => {
		expect(buildQemuArgv(plan)).toEqual([
			'-nodefaults',
			'-no-user-config',
			'-display',
			'none',
			'-machine',
			'virt',
			'-accel',
			'tcg',
			'-cpu',
			'cortex-a57',
			'-m',
			'256',
			'-smp',
			'1',
			'-kernel',
			'/k/Image',
			'-initrd',
			'/cache/initramfs-def.cpio',
			'-append',
			[
				'console=ttyAMA0 quiet loglevel=1 mitigations=off cryptomgr.notests acpi=off panic=-1 rdinit=/init',
				...LOCKUP_REPORT_KERNEL_FLAGS,
			].join(' '),
			'-chardev',
			'socket,id=console,path=/tmp/w/console.sock',
			'-serial',
			'chardev:console',
			'-chardev',
			'socket,id=control,path=/tmp/w/control.sock',
			'-device',
			'virtio-serial-device,id=vmxserial',
			'-device',
			'virtconsole,bus=vmxserial.0,chardev=control,name=vmx',
			'-chardev',
			'socket,id=qmp,path=/tmp/w/qmp.sock',
			'-mon',
			'chardev=qmp,mode=control',
			'-fsdev',
			'local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap',
			'-device',
			'virtio-9p-device,fsdev=hostroot,mount_tag=hostroot',
			'-fsdev',
			'local,id=xchg,path=/tmp/w/xchg,security_model=none',
			'-device',
			'virtio-9p-device,fsdev=xchg,mount_tag=xchg',
			'-fsdev',
			'local,id=shared,path=/tmp/w/empty,security_model=none',
			'-device',
			'virtio-9p-device,fsdev=shared,mount_tag=shared',
			'-no-reboot',
		]);
	});

	it('puts network cards on the MMIO transport, without an option ROM', () => {
		const argv = buildQemuArgv({ ...plan, userNetwork: true });
		expect(argv).toContain('virtio-net-device,netdev=net0,mac=52:54:00:12:34:56');
		expect(argv.join(' ')).not.toContain('virtio-net-pci');
	});

	it('memory-backs the virt machine for snapshots', () => {
		const argv = buildQemuArgv({ ...plan, memoryFile: { path: '/m', shared: true, sizeMiB: 256 } });
		expect(argv[argv.indexOf('-machine') + 1]).toBe('virt,memory-backend=ram');
	});

	it('adds a read-only modules share after the others when the root lacks the modules', () => {
		const argv = buildQemuArgv({ ...samplePlan(), hostRoot: '/srv/root', modulesShare: '/lib/modules/6.1.0-1-amd64' });
		expect(argv).toContain('local,id=modules,path=/lib/modules/6.1.0-1-amd64,security_model=none,readonly=on,multidevs=remap');
		expect(argv.indexOf('virtio-9p-pci,fsdev=modules,mount_tag=modules')).toBeGreaterThan(
			argv.indexOf('virtio-9p-pci,fsdev=shared,mount_tag=shared'),
		);
	});
});

describe('buildKernelCommandLine per arch', () => {
	it('keeps the x86 flags (PC devices, TSC) out of an aarch64 command line', () => {
		const line = buildKernelCommandLine([], 'aarch64');
		expect(line).not.toMatch(/i8042|tsc=|ttyS0/);
		expect(line.startsWith('console=ttyAMA0 ')).toBe(true);
	});

	it('leaves the x86_64 command line as it was', () => {
		expect(buildKernelCommandLine([], 'x86_64')).toBe([...FAST_BOOT_KERNEL_FLAGS, ...LOCKUP_REPORT_KERNEL_FLAGS].join(' '));
		expect(FAST_BOOT_KERNEL_FLAGS.slice(0, 4)).toEqual(['console=ttyS0', 'quiet', 'loglevel=1', 'no_timer_check']);
	});
});
