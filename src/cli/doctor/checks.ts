/**
 * The checks of `vm-exec doctor`: everything a VM needs on this host, each with what was found and, when
 * it is wrong, how to fix it. They reuse the functions `startVm` itself uses, so doctor and a real boot
 * never disagree about what is found.
 */
import { formatBytes, measureCache } from '../../cache/usage.js';
import { constants } from 'node:fs';
import { access, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { accelVerdictFile, canOpenKvm, readAccelVerdict } from '../../qemu/accel.js';
import { ensureDir, resolveCacheDir, writeFileAtomic } from '../../cache/dir.js';
import { findBusybox, findOnPath, findQboot, findQemu, type QemuBinary } from '../../qemu/host-tools.js';
import { findKernel, type KernelInfo } from '../../boot/kernel.js';
import { kvmFix, readKvmProvider } from '../../qemu/kvm-provider.js';
import { GUEST_MODULES, parseModulesBuiltin, parseModulesDep, resolveModuleLoadOrder } from '../../boot/module-deps.js';
import { resolveGuestShell } from '../../boot/guest-shell.js';
import { prepareBootKernel } from '../../boot/vmlinux.js';
import { guestShellSetting, startVm } from '../../start-vm.js';

export interface DoctorCheck {
	name: string;
	/** `'fail'`: a VM cannot start; `'warn'`: it can, but slower or with less. */
	status: 'ok' | 'warn' | 'fail';
	detail: string;
	fix?: string;
}

export interface DoctorOptions {
	kernel?: string | undefined;
	cacheDir?: string | undefined;
	/** Also boot a VM and run a command in it: the definitive check (and it probes KVM). */
	boot?: boolean;
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message.split('\n')[0]! : String(error);
}

async function checkQemu(): Promise<{ check: DoctorCheck; qemu?: QemuBinary }> {
	try {
		const qemu = await findQemu();
		return { check: { name: 'QEMU', status: 'ok', detail: `${qemu.path} (version ${qemu.version})` }, qemu };
	} catch (error) {
		return { check: { name: 'QEMU', status: 'fail', detail: messageOf(error) } };
	}
}

async function checkKernel(options: DoctorOptions): Promise<{ check: DoctorCheck; kernel?: KernelInfo }> {
	try {
		const kernel = await findKernel({ kernel: options.kernel });
		return {
			check: { name: 'kernel', status: 'ok', detail: `${kernel.path} (Linux ${kernel.release}, from ${kernel.source}) is readable` },
			kernel,
		};
	} catch (error) {
		return { check: { name: 'kernel', status: 'fail', detail: messageOf(error) } };
	}
}

async function checkModules(kernel: KernelInfo | undefined): Promise<DoctorCheck> {
	if (!kernel) return { name: 'modules', status: 'fail', detail: 'not checked: no usable kernel (see above)' };
	const depText = await readFile(path.join(kernel.modulesDir, 'modules.dep'), 'utf8').catch(() => undefined);
	if (depText === undefined) {
		return {
			name: 'modules',
			status: 'fail',
			detail: `${kernel.modulesDir}/modules.dep is not readable`,
			fix: `run \`sudo depmod ${kernel.release}\`, or pass the modules directory (env: VM_EXEC_MODULES)`,
		};
	}
	const builtinText = await readFile(path.join(kernel.modulesDir, 'modules.builtin'), 'utf8').catch(() => '');
	const { order, missing } = resolveModuleLoadOrder(parseModulesDep(depText), GUEST_MODULES, parseModulesBuiltin(builtinText));
	const unreadable: string[] = [];
	for (const file of order) {
		if (
			!(await access(path.join(kernel.modulesDir, file), constants.R_OK).then(
				() => true,
				() => false,
			))
		)
			unreadable.push(file);
	}
	if (unreadable.length > 0) {
		return {
			name: 'modules',
			status: 'fail',
			detail: `cannot read ${unreadable.join(', ')} in ${kernel.modulesDir}`,
			fix: `install the modules of Linux ${kernel.release} (Debian: the linux-image-${kernel.release} package)`,
		};
	}
	const decompressors = new Set(order.flatMap((file) => (file.endsWith('.xz') ? ['xz'] : file.endsWith('.zst') ? ['zstd'] : [])));
	for (const tool of decompressors) {
		if (!(await findOnPath(tool))) {
			return {
				name: 'modules',
				status: 'fail',
				detail: `the modules are ${tool}-compressed but \`${tool}\` is not installed`,
				fix: `\`sudo apt-get install ${tool === 'xz' ? 'xz-utils' : 'zstd'}\``,
			};
		}
	}
	if (missing.length > 0) {
		return {
			name: 'modules',
			status: 'warn',
			detail: `${kernel.modulesDir}: ${missing.join(', ')} neither a module nor listed as built in; the VM fails to boot unless the kernel has them built in`,
			fix: 'use a distribution kernel (it has virtio, 9p and overlay as modules)',
		};
	}
	return {
		name: 'modules',
		status: 'ok',
		detail: `${kernel.modulesDir} has what the guest needs (${GUEST_MODULES.join(', ')}: ${order.length} module files, the rest built in)`,
	};
}

async function checkBusybox(): Promise<DoctorCheck> {
	try {
		return { name: 'busybox', status: 'ok', detail: `${await findBusybox()} is statically linked` };
	} catch (error) {
		return { name: 'busybox', status: 'fail', detail: messageOf(error) };
	}
}

/** Whether the initramfs can carry the host's shell, so VMs start their runner before the snapshot point. */
export async function checkGuestShell(): Promise<DoctorCheck> {
	const setting = guestShellSetting(process.env.VM_EXEC_GUEST_SHELL);
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

async function checkCacheDir(options: DoctorOptions): Promise<DoctorCheck> {
	const dir = resolveCacheDir(options.cacheDir);
	const probe = path.join(dir, `.doctor-${process.pid}`);
	try {
		await ensureDir(dir);
		await writeFileAtomic(probe, 'ok');
		await rm(probe, { force: true });
		const usage = await measureCache(dir);
		return {
			name: 'cache dir',
			status: 'ok',
			detail: `${dir} is writable; ${formatBytes(usage.totalBytes)} cached (${usage.snapshots} snapshots: ${formatBytes(usage.snapshotBytes)}), \`vm-exec cache --clear\` empties it`,
		};
	} catch (error) {
		return {
			name: 'cache dir',
			status: 'fail',
			detail: `${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
			fix: 'set VM_EXEC_CACHE (or XDG_CACHE_HOME) to a writable directory',
		};
	}
}

async function checkKvm(qemu: QemuBinary | undefined, kernel: KernelInfo | undefined, cacheDir: string): Promise<DoctorCheck> {
	const exists = await stat('/dev/kvm').then(
		() => true,
		() => false,
	);
	if (!exists) {
		return {
			name: 'KVM',
			status: 'warn',
			detail: 'no /dev/kvm: VMs run under TCG software emulation (several times slower)',
			fix: 'enable hardware virtualization (VT-x/AMD-V; nested virtualization on a cloud VM) and `sudo modprobe kvm_intel` or `kvm_amd`',
		};
	}
	if (!(await canOpenKvm())) {
		return {
			name: 'KVM',
			status: 'warn',
			detail: '/dev/kvm is not accessible to this user: VMs run under TCG software emulation (several times slower)',
			fix: '`sudo usermod -aG kvm $USER`, then log in again',
		};
	}
	if (!qemu || !kernel) return { name: 'KVM', status: 'ok', detail: '/dev/kvm is accessible (not probed: see the failures above)' };
	// The verdict of the probe VM is cached per QEMU version and kernel image: read it, if a VM already ran.
	const boot = await prepareBootKernel(kernel.path, cacheDir).catch(() => undefined);
	const verdict = boot ? await readAccelVerdict(accelVerdictFile(cacheDir, qemu.version, boot.key)) : undefined;
	if (!verdict)
		return {
			name: 'KVM',
			status: 'ok',
			detail:
				'/dev/kvm is accessible; not probed yet (the first VM with accel auto probes it and remembers; `vm-exec doctor --boot` does it now)',
		};
	if (verdict.accel === 'kvm') return { name: 'KVM', status: 'ok', detail: `usable: ${verdict.reason}` };
	return {
		name: 'KVM',
		status: 'warn',
		detail: `not used: ${verdict.reason}; VMs run under TCG software emulation (several times slower)`,
		fix: kvmFix(await readKvmProvider()),
	};
}

async function checkFirmware(): Promise<DoctorCheck> {
	const qboot = await findQboot();
	if (qboot) return { name: 'firmware', status: 'ok', detail: `${qboot} (qboot: the fastest boot)` };
	return {
		name: 'firmware',
		status: 'warn',
		detail: 'qboot.rom not found: VMs boot with SeaBIOS (about a second slower)',
		fix: '`sudo apt-get install qemu-system-data`',
	};
}

async function checkBash(): Promise<DoctorCheck> {
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

async function checkBoot(options: DoctorOptions): Promise<DoctorCheck> {
	const started = performance.now();
	try {
		await using vm = await startVm({
			...(options.kernel ? { kernel: options.kernel } : {}),
			...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
		});
		const result = await vm.exec('uname -r');
		if (result.exitCode !== 0)
			return {
				name: 'boot',
				status: 'fail',
				detail: `the VM booted but \`uname -r\` exited with ${result.exitCode}: ${result.stderr.trim()}`,
			};
		return {
			name: 'boot',
			status: 'ok',
			detail: `a VM booted and ran a command in ${((performance.now() - started) / 1000).toFixed(1)} s (Linux ${result.stdout.trim()}, ${vm.accel === 'kvm' ? 'KVM' : 'TCG software emulation'})`,
		};
	} catch (error) {
		return { name: 'boot', status: 'fail', detail: messageOf(error), fix: 'run with DEBUG=vm-exec:* for details' };
	}
}

/** Run every check; with `boot`, also boot a VM when nothing else failed. */
export async function runDoctorChecks(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
	const cacheDir = resolveCacheDir(options.cacheDir);
	const [qemu, kernel, busybox, shell, cache, firmware, bash] = await Promise.all([
		checkQemu(),
		checkKernel(options),
		checkBusybox(),
		checkGuestShell(),
		checkCacheDir(options),
		checkFirmware(),
		checkBash(),
	]);
	const [modules, kvm] = await Promise.all([checkModules(kernel.kernel), checkKvm(qemu.qemu, kernel.kernel, cacheDir)]);
	const checks = [qemu.check, kvm, kernel.check, modules, busybox, shell, cache, firmware, bash];
	if (options.boot) {
		checks.push(
			checks.some((check) => check.status === 'fail')
				? { name: 'boot', status: 'fail', detail: 'not tried: fix the failures above first' }
				: await checkBoot(options),
		);
	}
	return checks;
}
