/**
 * Doctor checks of the host tools a VM uses: QEMU, busybox, the shell carried into the guest, the
 * firmware and bash.
 */
import type { Arch } from '../../arch/arch.js';
import { resolveGuestShell } from '../../boot/guest-shell.js';
import { findBusybox, findOnPath, findQboot, findQemu, type QemuBinary } from '../../qemu/host-tools.js';
import { checkFinder, type DoctorCheck } from './check.js';

/** `fromEnv`: `VM_EXEC_QEMU`, as the options gate reads it. */
export function checkQemu(arch: Arch, fromEnv?: string): Promise<{ check: DoctorCheck; found?: QemuBinary }> {
	return checkFinder(
		'QEMU',
		() => findQemu(undefined, arch, fromEnv),
		(qemu) => `${qemu.path} (version ${qemu.version})`,
	);
}

/** `explicit`: `VM_EXEC_BUSYBOX`, as the options gate reads it. */
export async function checkBusybox(arch: Arch, root: string | undefined, explicit?: string): Promise<DoctorCheck> {
	const found = await checkFinder(
		'busybox',
		() => findBusybox({ arch, root, explicit }),
		(busybox) => `${busybox} is a statically linked ${arch} program`,
	);
	return found.check;
}

/**
 * Whether the initramfs can carry the host's shell, so VMs start their runner before the snapshot point.
 * `setting`: `VM_EXEC_GUEST_SHELL`, as the options gate reads it (options/environment.ts).
 */
export async function checkGuestShell(setting: string | false | undefined): Promise<DoctorCheck> {
	if (setting === false) return { name: 'shell', status: 'ok', detail: 'VM_EXEC_GUEST_SHELL=none: the guest starts /bin/sh after boot' };
	const shell = await resolveGuestShell(setting);
	if (!shell) {
		return {
			name: 'shell',
			status: 'warn',
			detail: `${setting ?? '/bin/sh'} cannot be carried into the guest (see DEBUG=vm-exec:start): each VM starts it after boot, ~0.25 s slower under emulation`,
			fix: setting === undefined ? 'make sure `ldd` (glibc: libc-bin) is installed' : 'point VM_EXEC_GUEST_SHELL at a shell, or unset it',
		};
	}
	const libraries = shell.libraries.length === 1 ? '1 library' : `${shell.libraries.length} libraries`;
	return {
		name: 'shell',
		status: 'ok',
		detail: `${shell.shell}${shell.interpreter ? ` with ${libraries}` : ' (static)'}, carried into the guest's initramfs`,
	};
}

export async function checkFirmware(): Promise<DoctorCheck> {
	const qboot = await findQboot();
	if (qboot) return { name: 'firmware', status: 'ok', detail: `${qboot} (qboot: the fastest boot)` };
	return {
		name: 'firmware',
		status: 'warn',
		detail: 'qboot.rom not found: VMs boot with SeaBIOS (about a second slower)',
		fix: '`sudo apt-get install qemu-system-data`',
	};
}

export async function checkBash(): Promise<DoctorCheck> {
	const bash = await findOnPath('bash');
	return bash
		? { name: 'bash', status: 'ok', detail: `${bash} (runs the CLI's scripts in the guest)` }
		: {
				name: 'bash',
				status: 'warn',
				detail: 'bash is not installed: the CLI runs scripts with /bin/sh instead',
				fix: '`sudo apt-get install bash`',
			};
}
