/**
 * The host files a VM boots from, found or built once and cached: QEMU, the kernel (and the vmlinux
 * extracted from it), the initramfs, the firmware, and the guest CPU model the host's programs need.
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { createDebug } from '../debug.js';
import { VmBootError } from '../errors.js';
import { resolveCacheDir } from '../cache/dir.js';
import { findBusybox, findQboot, findQemu } from '../qemu/host-tools.js';
import { prepareInitramfs } from '../boot/initramfs.js';
import { guestCpuModel, hostIsaLevel } from '../boot/isa-level.js';
import { findKernel, type KernelInfo } from '../boot/kernel.js';
import { prepareBootKernel } from '../boot/vmlinux.js';
import type { NormalizedVmOptions } from '../options.js';

const debug = createDebug('start');

export interface Artifacts {
	qemuPath: string;
	qemuVersion: string;
	kernel: KernelInfo;
	bootKernel: string;
	kernelKey: string;
	initramfs: string;
	bios: string | undefined;
	/** `-cpu` for a host whose programs need more than x86-64 baseline (see isa-level.ts); else QEMU's default. */
	cpuModel: string | undefined;
	cacheDir: string;
}

export async function prepareArtifacts(options: NormalizedVmOptions): Promise<Artifacts> {
	const cacheDir = resolveCacheDir(options.cacheDir);
	const [qemu, busybox, kernel, bios] = await Promise.all([
		assertShell(options.shell).then(() => findQemu(options.qemu)),
		findBusybox(),
		findKernel({ kernel: options.kernel, modules: options.modules }),
		findQboot(),
	]);
	const [boot, initramfs, isaLevel] = await Promise.all([
		prepareBootKernel(kernel.path, cacheDir).catch((error: unknown) => {
			throw new VmBootError(
				`Cannot prepare the kernel ${kernel.path} for booting: ${String(error)}. Check that the cache directory ${cacheDir} is writable (or set VM_EXEC_CACHE).`,
				{ cause: error },
			);
		}),
		prepareInitramfs(
			{
				busybox,
				modulesDir: kernel.modulesDir,
				runnerShell: options.shell,
				shell: guestShellSetting(process.env.VM_EXEC_GUEST_SHELL) ?? options.shell,
			},
			cacheDir,
		),
		hostIsaLevel(options.shell),
	]);
	const cpuModel = guestCpuModel(isaLevel);
	if (cpuModel) debug(`the host's programs need x86-64-v${isaLevel}: the guest CPU is ${cpuModel}`);
	return {
		qemuPath: qemu.path,
		qemuVersion: qemu.version,
		kernel,
		bootKernel: boot.path,
		kernelKey: boot.key,
		initramfs: initramfs.path,
		bios,
		cpuModel,
		cacheDir,
	};
}

/** The `shell` option must name an executable file on the host (the guest sees the host's files). */
async function assertShell(shell: string): Promise<void> {
	await access(shell, constants.X_OK).catch(() => {
		throw new VmBootError(
			`The shell ${shell} (from the \`shell\` option) is not an executable file on the host. Point \`shell\` at one, such as /bin/bash.`,
		);
	});
}

/**
 * `VM_EXEC_GUEST_SHELL`: the host shell the initramfs carries for the guest's runner (default `/bin/sh`),
 * or `none` to carry none (the guest then starts the host's /bin/sh after boot: slower, for debugging).
 */
export function guestShellSetting(value: string | undefined): string | false | undefined {
	if (value === undefined || value === '') return undefined;
	return value === 'none' ? false : value;
}
