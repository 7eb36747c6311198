/**
 * The host files a VM boots from, found or built once and cached: QEMU, the kernel (and the vmlinux
 * extracted from it), the initramfs, the firmware, and the guest CPU model the host's programs need.
 */
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import path from 'node:path';
import { archSpec } from '../arch/arch.js';
import { createDebug } from '../debug.js';
import { VmBootError } from '../errors.js';
import { findBusybox, findQboot, findQemu } from '../qemu/host-tools.js';
import { prepareInitramfs } from '../boot/prepare-initramfs.js';
import { resolveRootShell } from '../boot/root-shell.js';
import { guestCpuModel, hostIsaLevel } from '../boot/guest-cpu.js';
import { findKernel, type KernelInfo } from '../kernel/kernel.js';
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
	/** `-cpu` for a host whose programs need more than x86-64 baseline (see boot/guest-cpu.ts); else QEMU's default. */
	cpuModel: string | undefined;
	cacheDir: string;
}

export async function prepareArtifacts(options: NormalizedVmOptions): Promise<Artifacts> {
	const cacheDir = options.cacheDir;
	const spec = archSpec(options.arch);
	const [qemu, busybox, kernel, bios, rootShell] = await Promise.all([
		assertShell(options.shell, options.root).then(() => findQemu(options.qemu, options.arch, options.qemuFromEnv)),
		findBusybox({ arch: options.arch, root: options.root, explicit: options.busybox }),
		findKernel({
			kernel: options.kernel,
			modules: options.modules,
			arch: options.arch,
			root: options.root,
			environment: { kernel: options.kernelFromEnv, modules: options.modulesFromEnv },
		}),
		spec.usesQboot ? findQboot() : undefined,
		options.root ? resolveRootShell(options.root, options.shell, options.arch) : undefined,
	]);
	if (kernel.skipped) for (const { path: skipped, why } of kernel.skipped) debug(`skipped the kernel ${skipped}: ${why}`);
	const [boot, initramfs, isaLevel] = await Promise.all([
		// arm64 has no PVH: its Image boots as it is.
		prepareBootKernel(kernel.path, cacheDir, spec.arch === 'x86_64').catch((error: unknown) => {
			throw new VmBootError(
				`Cannot prepare the kernel ${kernel.path} for booting: ${String(error)}. Check that the cache directory ${cacheDir} is writable (or set VM_EXEC_CACHE).`,
				{ cause: error },
			);
		}),
		prepareInitramfs(
			{
				arch: options.arch,
				busybox,
				modulesDir: kernel.modulesDir,
				release: kernel.release,
				runnerShell: options.shell,
				// Another root's shell is carried when it is static (busybox); a dynamic one starts after boot.
				shell: options.root ? false : (options.guestShell ?? options.shell),
				carriedShell: options.guestShell === false ? undefined : rootShell,
			},
			cacheDir,
		),
		options.root || spec.arch !== 'x86_64' ? undefined : hostIsaLevel(options.shell),
	]);
	const cpuModel = spec.arch === 'x86_64' ? guestCpuModel(isaLevel) : spec.tcgCpu;
	if (cpuModel && isaLevel) debug(`the host's programs need x86-64-v${isaLevel}: the guest CPU is ${cpuModel}`);
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

/** The `shell` option must name an executable file in the guest's root (the host's `/` unless `root` is set). */
export async function assertShell(shell: string, root: string | undefined): Promise<void> {
	if (root) {
		// A link in another root may be absolute (/bin/sh → /bin/busybox): it resolves inside that root, not here.
		await lstat(path.join(root, shell)).catch(() => {
			throw new VmBootError(
				`The shell ${shell} is not in the root ${root} (the \`root\` option): the guest runs scripts with the root's own shell. Put one there, or point \`shell\` at one in it.`,
			);
		});
		return;
	}
	await access(shell, constants.X_OK).catch(() => {
		throw new VmBootError(
			`The shell ${shell} (from the \`shell\` option) is not an executable file on the host. Point \`shell\` at one, such as /bin/bash.`,
		);
	});
}
