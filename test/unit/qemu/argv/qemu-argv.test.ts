import { describe, expect, it } from 'vitest';
import { buildKernelCommandLine, buildQemuArgv, type QemuPlan } from '../../../../src/qemu/argv/qemu-argv.js';
import { escapeOptionValue } from '../../../../src/qemu/argv/option-syntax.js';
import { samplePlan } from '../../../helpers/qemu-plan.js';

const plan: QemuPlan = samplePlan();

describe('buildQemuArgv', () => {
	it('builds the full command line for a plan', () => {
		expect(buildQemuArgv(plan)).toEqual([
			'-nodefaults',
			'-no-user-config',
			'-display',
			'none',
			'-machine',
			'pc',
			'-accel',
			'tcg',
			'-m',
			'256',
			'-smp',
			'1',
			'-bios',
			'/usr/share/qemu/qboot.rom',
			'-kernel',
			'/cache/vmlinux-abc',
			'-initrd',
			'/cache/initramfs-def.cpio',
			'-append',
			buildKernelCommandLine(),
			'-chardev',
			'socket,id=console,path=/tmp/w/console.sock',
			'-serial',
			'chardev:console',
			'-chardev',
			'socket,id=control,path=/tmp/w/control.sock',
			'-serial',
			'chardev:control',
			'-chardev',
			'socket,id=qmp,path=/tmp/w/qmp.sock',
			'-mon',
			'chardev=qmp,mode=control',
			'-fsdev',
			'local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap',
			'-device',
			'virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot',
			'-fsdev',
			'local,id=xchg,path=/tmp/w/xchg,security_model=none',
			'-device',
			'virtio-9p-pci,fsdev=xchg,mount_tag=xchg',
			'-fsdev',
			'local,id=shared,path=/tmp/w/empty,security_model=none',
			'-device',
			'virtio-9p-pci,fsdev=shared,mount_tag=shared',
			'-no-reboot',
		]);
	});

	it("sets the CPU model right after the accelerator when the plan names one, else leaves QEMU's default", () => {
		const argv = buildQemuArgv({ ...plan, cpuModel: 'max' });
		expect(argv.slice(argv.indexOf('-accel'), argv.indexOf('-accel') + 4)).toEqual(['-accel', 'tcg', '-cpu', 'max']);
		expect(buildQemuArgv(plan)).not.toContain('-cpu');
	});

	it('uses KVM, memory and CPUs from the plan and appends extra QEMU arguments verbatim', () => {
		const argv = buildQemuArgv({
			...plan,
			accel: 'kvm',
			memoryMiB: 1024,
			cpus: 2,
			qemuArgs: ['-drive', 'file=disk.img,if=virtio,format=raw'],
		});
		expect(argv.slice(argv.indexOf('-accel'), argv.indexOf('-accel') + 6)).toEqual(['-accel', 'kvm', '-m', '1024', '-smp', '2']);
		expect(argv.slice(-2)).toEqual(['-drive', 'file=disk.img,if=virtio,format=raw']);
	});

	it('backs guest RAM with a file for snapshots: shared to save one, private to start from one', () => {
		const saving = buildQemuArgv({ ...plan, memoryFile: { path: '/cache/snap,1.ram', shared: true, sizeMiB: 256 } });
		expect(saving.slice(saving.indexOf('-machine'), saving.indexOf('-machine') + 8)).toEqual([
			'-machine',
			'pc,memory-backend=ram',
			'-accel',
			'tcg',
			'-m',
			'256',
			'-object',
			'memory-backend-file,id=ram,size=256M,mem-path=/cache/snap,,1.ram,share=on',
		]);
		expect(buildQemuArgv({ ...plan, memoryFile: { path: '/cache/s.ram', shared: false, sizeMiB: 256 } })).toContain(
			'memory-backend-file,id=ram,size=256M,mem-path=/cache/s.ram,share=off',
		);
	});

	it('starts the gdb stub on a unix socket only when the plan has one, before the migration flags', () => {
		expect(buildQemuArgv(plan)).not.toContain('-gdb');
		const argv = buildQemuArgv({ ...plan, gdbSocket: '/tmp/w,x/gdb.sock', incoming: 'defer' });
		expect(argv.slice(argv.indexOf('-gdb'), argv.indexOf('-gdb') + 4)).toEqual([
			'-gdb',
			'unix:/tmp/w,,x/gdb.sock,server=on,wait=off',
			'-incoming',
			'defer',
		]);
	});

	it('leaves out -bios when qboot is not installed', () => {
		expect(buildQemuArgv({ ...plan, bios: undefined })).not.toContain('-bios');
	});

	it('escapes commas in paths so QEMU does not split the option there', () => {
		expect(escapeOptionValue('/tmp/a,b')).toBe('/tmp/a,,b');
		expect(buildQemuArgv({ ...plan, sharedDir: '/srv/x,y' })).toContain('local,id=shared,path=/srv/x,,y,security_model=none');
	});

	it('boots quietly but keeps kernel panics visible and reboots (so QEMU exits) on panic', () => {
		const cmdline = buildKernelCommandLine(['foo=1']);
		expect(cmdline).toMatch(/\bconsole=ttyS0\b/);
		expect(cmdline).toMatch(/\bloglevel=1\b/);
		expect(cmdline).toMatch(/\bpanic=-1\b/);
		expect(cmdline.endsWith(' foo=1')).toBe(true);
	});

	it('gives a VM that can hot-add devices ACPI without its PCI interrupt routing (acpi=noirq), others none', () => {
		expect(buildKernelCommandLine([], 'x86_64', true).split(' ')).toContain('acpi=noirq');
		expect(buildKernelCommandLine([], 'x86_64', true)).not.toMatch(/acpi=off/);
		expect(buildKernelCommandLine().split(' ')).toContain('acpi=off');
		expect(buildQemuArgv({ ...plan, acpiHotplug: true }).join(' ')).toMatch(/acpi=noirq/);
	});
});
