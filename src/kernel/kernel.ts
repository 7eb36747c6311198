/**
 * Finding the kernel to boot and its modules directory on the host, with errors that say how to fix it.
 */
import { constants } from 'node:fs';
import { open, readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Arch, hostArch } from '../arch/arch.js';
import { isGzip } from '../arch/kernel-image.js';
import { createDebug } from '../debug.js';
import { VmBootError } from '../errors.js';
import { isAccessibleFile } from '../qemu/host-tools.js';
import { checkKernelFitness } from './kernel-fitness.js';

const debug = createDebug('kernel');

export interface KernelInfo {
	/** The kernel image file. */
	path: string;
	/** Its release (`uname -r` in the guest), e.g. `6.1.0-26-amd64`. */
	release: string;
	/** The modules directory for it (holds `modules.dep`). */
	modulesDir: string;
	/** Where the kernel path came from, for messages. */
	source: string;
	/** Kernels discovery passed over because the guest cannot run on them, each with why. */
	skipped?: { path: string; why: string }[];
}

export interface FindKernelOptions {
	kernel?: string | undefined;
	modules?: string | undefined;
	/** The guest's architecture. @default the host's */
	arch?: Arch | undefined;
	/** The guest's root directory, whose /boot and /lib/modules are searched too. */
	root?: string | undefined;
	/** `VM_EXEC_KERNEL` and `VM_EXEC_MODULES`, as the options gate read them (options/environment.ts). */
	environment?: { kernel?: string | undefined; modules?: string | undefined };
}

const INSTALL_HINT =
	'Install one with `sudo apt-get install linux-image-amd64` (Debian/Ubuntu: `linux-image-generic`), or pass `kernel` (CLI: `--kernel`, env: VM_EXEC_KERNEL).';

/** Read the release string from a bzImage setup header (or find "Linux version X" in an ELF vmlinux). */
export function readKernelRelease(image: Buffer): string | undefined {
	// bzImage: "HdrS" at 0x202; kernel_version (offset of a NUL-terminated string, minus 0x200) at 0x20E.
	if (image.length > 0x210 && image.toString('latin1', 0x202, 0x206) === 'HdrS') {
		const pointer = image.readUInt16LE(0x20e);
		if (pointer > 0) {
			const start = pointer + 0x200;
			const end = image.indexOf(0, start);
			const text = image.toString('latin1', start, end > start ? end : start + 64);
			const release = text.split(' ')[0];
			if (release) return release;
		}
	}
	const marker = image.indexOf('Linux version ');
	if (marker >= 0) {
		const text = image.toString('latin1', marker + 14, marker + 14 + 128);
		const release = text.split(/[\s\0]/)[0];
		if (release) return release;
	}
	return undefined;
}

async function exists(file: string): Promise<boolean> {
	try {
		await stat(file);
		return true;
	} catch {
		return false;
	}
}

function compareReleases(a: string, b: string): number {
	return a.localeCompare(b, 'en', { numeric: true });
}

/** The kernel candidates, in order of preference, with where each came from. */
async function kernelCandidates(options: FindKernelOptions): Promise<{ path: string; source: string; explicit: boolean }[]> {
	if (options.kernel) return [{ path: path.resolve(options.kernel), source: 'the `kernel` option', explicit: true }];
	const fromEnv = options.environment?.kernel;
	if (fromEnv) return [{ path: path.resolve(fromEnv), source: 'VM_EXEC_KERNEL', explicit: true }];
	const candidates: { path: string; source: string; explicit: boolean }[] = [];
	const newestFirst = async (dir: string) =>
		(await readdir(dir).catch(() => [] as string[]))
			.filter((name) => name.startsWith('vmlinuz-') || name.startsWith('vmlinux-'))
			.sort((a, b) => compareReleases(b, a))
			.map((name) => path.join(dir, name));
	// A root directory may bring its own kernel (scripts/install-host-deps.sh --arch unpacks one there).
	if (options.root) {
		for (const file of await newestFirst(path.join(options.root, 'boot')))
			candidates.push({ path: file, source: "the root's /boot", explicit: false });
	}
	// The host's kernels run only a guest of the host's own arch.
	if ((options.arch ?? hostArch()) === hostArch()) {
		candidates.push(
			{ path: `/boot/vmlinuz-${os.release()}`, source: 'the running kernel', explicit: false },
			{ path: '/run/booted-system/kernel', source: "NixOS's booted system", explicit: false },
		);
		for (const file of await newestFirst('/boot')) {
			if (!candidates.some((candidate) => candidate.path === file)) candidates.push({ path: file, source: '/boot', explicit: false });
		}
	}
	return candidates;
}

function modulesDirFor(kernelPath: string, release: string, root: string | undefined, fromEnv: string | undefined): string[] {
	const dirs = [];
	if (fromEnv) dirs.push(path.resolve(fromEnv));
	// A kernel unpacked from a package (DIR/boot/vmlinuz-R) has its modules in DIR/lib/modules/R.
	const unpacked = path.dirname(path.dirname(kernelPath));
	for (const base of [
		...(root ? [root] : []),
		...(path.basename(path.dirname(kernelPath)) === 'boot' && unpacked !== '/' ? [unpacked] : []),
	]) {
		dirs.push(path.join(base, 'lib', 'modules', release), path.join(base, 'usr', 'lib', 'modules', release));
	}
	dirs.push(`/lib/modules/${release}`, `/usr/lib/modules/${release}`);
	// NixOS: …/kernel is next to …/kernel-modules/lib/modules/<release>.
	dirs.push(path.join(path.dirname(kernelPath), 'kernel-modules', 'lib', 'modules', release));
	return dirs;
}

/** Find the kernel and its modules, or throw a `VmBootError` that names the file and the fix. */
export async function findKernel(options: FindKernelOptions): Promise<KernelInfo> {
	const arch = options.arch ?? hostArch() ?? 'x86_64';
	const candidates = await kernelCandidates(options);
	const skipped: { path: string; why: string }[] = [];
	const unreadable: string[] = [];
	const withoutModules: string[] = [];
	for (const candidate of candidates) {
		if (!(await exists(candidate.path))) {
			if (candidate.explicit) {
				throw new VmBootError(
					`The kernel ${candidate.path} (from ${candidate.source}) does not exist. Point it at a kernel image such as /boot/vmlinuz-<release>.`,
				);
			}
			continue;
		}
		if (!(await isAccessibleFile(candidate.path, constants.R_OK))) {
			if (candidate.explicit) throw unreadableKernelError(candidate.path);
			unreadable.push(candidate.path);
			continue;
		}
		const release = await readKernelReleaseOf(candidate.path);
		if (!release) {
			if (candidate.explicit && !options.modules) {
				throw new VmBootError(
					`Cannot tell the release of the kernel ${candidate.path}: it is not a bzImage or vmlinux. Pass \`modules\` (the directory with its modules.dep) as well, or use a standard kernel image.`,
				);
			}
		}
		const dirs = options.modules
			? [path.resolve(options.modules)]
			: modulesDirFor(candidate.path, release ?? '', options.root, options.environment?.modules);
		let modulesDir: string | undefined;
		for (const dir of dirs) {
			if (await exists(path.join(dir, 'modules.dep'))) {
				modulesDir = dir;
				break;
			}
		}
		if (!modulesDir) {
			if (options.modules) {
				throw new VmBootError(
					`The modules directory ${dirs[0]} has no modules.dep. Pass the directory of the kernel's modules, e.g. /lib/modules/${release ?? '<release>'}, or run \`depmod\` for it.`,
				);
			}
			if (candidate.explicit) {
				throw new VmBootError(
					`No modules found for the kernel ${candidate.path} (release ${release}): looked in ${dirs.join(', ')}. Install the matching modules package (Debian: linux-image-${release}) or pass \`modules\`.`,
				);
			}
			withoutModules.push(`${candidate.path} (release ${release})`);
			continue;
		}
		if (options.modules && release && path.basename(modulesDir) !== release && !(await exists(path.join(modulesDir, 'kernel')))) {
			throw new VmBootError(
				`The modules directory ${modulesDir} does not look like the modules of kernel release ${release}. Pass the directory /lib/modules/${release}.`,
			);
		}
		const found = { path: candidate.path, release: release ?? path.basename(modulesDir), modulesDir, source: candidate.source };
		const { problems } = await checkKernelFitness(found, arch);
		if (problems.length > 0) {
			const why = problems.join('; ');
			if (candidate.explicit) {
				throw new VmBootError(
					`The kernel ${candidate.path} (from ${candidate.source}, Linux ${found.release}) cannot run vm-exec's guest: ${why}.`,
				);
			}
			debug(`skipping the kernel ${candidate.path} (Linux ${found.release}): ${why}`);
			skipped.push({ path: candidate.path, why });
			continue;
		}
		return skipped.length > 0 ? { ...found, skipped } : found;
	}
	if (skipped.length > 0) {
		throw new VmBootError(
			`No kernel found that can run vm-exec's guest: ${skipped.map((entry) => `${entry.path}: ${entry.why}`).join('. ')}. Install a distribution kernel with virtio, 9p and overlayfs (Debian: linux-image-${archSpecName(arch)}), or pass \`kernel\`.`,
		);
	}
	if (unreadable.length > 0) throw unreadableKernelError(unreadable[0]!);
	if (withoutModules.length > 0) {
		throw new VmBootError(
			`Found kernels without their modules: ${withoutModules.join(', ')}. Install the matching modules (Debian: the linux-image package of that release) or pass \`kernel\` and \`modules\`.`,
		);
	}
	if (arch !== hostArch()) {
		throw new VmBootError(
			`No ${arch} kernel found${options.root ? ` in ${path.join(options.root, 'boot')}` : ''}: the host's kernels are ${hostArch() ?? process.arch}. Unpack one with \`sh scripts/install-host-deps.sh --arch ${arch}\` and pass its \`kernel\` (or a \`root\` holding it in /boot).`,
		);
	}
	throw new VmBootError(
		`No kernel image found: looked at /boot/vmlinuz-${os.release()}, /run/booted-system/kernel and /boot/vmlinuz-*. ${INSTALL_HINT}`,
	);
}

/** Debian's flavour name of a kernel for this arch. */
function archSpecName(arch: Arch): string {
	return arch === 'aarch64' ? 'arm64' : 'amd64';
}

function unreadableKernelError(file: string): VmBootError {
	return new VmBootError(
		`The kernel ${file} is not readable by this user (Ubuntu installs kernels readable by root only). ` +
			`Fix: \`sudo chmod 0644 ${file}\` (to keep it across upgrades: \`sudo dpkg-statoverride --update --add root root 0644 ${file}\`), ` +
			'or pass a readable copy as `kernel` (CLI: `--kernel`, env: VM_EXEC_KERNEL).',
	);
}

/** The setup header's pointer to the release string is 16 bits past 0x200: the string lies in this prefix. */
const BZIMAGE_RELEASE_SPAN = 0x10200 + 256;

/**
 * The release of a kernel image file: a bzImage's setup header points at it within the first 64 KiB, so
 * only those are read; anything else (an ELF vmlinux) is scanned whole.
 */
async function readKernelReleaseOf(file: string): Promise<string | undefined> {
	const handle = await open(file, 'r');
	try {
		const head = Buffer.alloc(BZIMAGE_RELEASE_SPAN);
		const { bytesRead } = await handle.read(head, 0, head.length, 0);
		const prefix = head.subarray(0, bytesRead);
		if (prefix.toString('latin1', 0x202, 0x206) === 'HdrS') return readKernelRelease(prefix);
	} finally {
		await handle.close();
	}
	const image = await readFile(file);
	// Ubuntu's arm64 vmlinuz is a gzip of the Image.
	return readKernelRelease(isGzip(image) ? gunzipSync(image) : image);
}
