import type { QemuPlan } from '../../src/qemu/argv/qemu-argv.js';

/** A QEMU plan whose per-VM paths live under `workspace`, for unit tests of argv-derived logic. */
export function samplePlan(workspace = '/tmp/w', overrides: Partial<QemuPlan> = {}): QemuPlan {
	return {
		kernel: '/cache/vmlinux-abc',
		initramfs: '/cache/initramfs-def.cpio',
		bios: '/usr/share/qemu/qboot.rom',
		accel: 'tcg',
		memoryMiB: 256,
		cpus: 1,
		consoleSocket: `${workspace}/console.sock`,
		controlSocket: `${workspace}/control.sock`,
		qmpSocket: `${workspace}/qmp.sock`,
		xchgDir: `${workspace}/xchg`,
		sharedDir: `${workspace}/empty`,
		hostRoot: '/',
		...overrides,
	};
}
