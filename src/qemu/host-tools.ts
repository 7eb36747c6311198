/**
 * Finding the host tools a VM needs (QEMU, a static busybox), with install hints that name the package.
 */
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { type Arch, archOfElfMachine, archSpec, hostArch } from '../arch/arch.js';
import { VmBootError } from '../errors.js';

export const INSTALL_COMMANDS = {
	qemu: { debian: 'sudo apt-get install qemu-system-x86', nix: 'nix-shell -p qemu' },
	busybox: {
		debian: 'sudo apt-get install busybox-static',
		nix: 'nix-shell -p pkgsStatic.busybox (then set VM_EXEC_BUSYBOX to its bin/busybox)',
	},
	kernel: {
		debian: 'sudo apt-get install linux-image-amd64',
		nix: 'boot NixOS (its kernel is /run/booted-system/kernel) or pass --kernel',
	},
} as const;

export function installHint(tool: keyof typeof INSTALL_COMMANDS): string {
	const commands = INSTALL_COMMANDS[tool];
	return `Install it with \`${commands.debian}\` (Nix: \`${commands.nix}\`), or run \`npx vm-exec doctor\` for a full check.`;
}

/** Whether `file` is a regular file this process may access with `mode` (`constants.R_OK`, `X_OK`, …). */
export async function isAccessibleFile(file: string, mode: number): Promise<boolean> {
	try {
		await access(file, mode);
		return (await stat(file)).isFile();
	} catch {
		return false;
	}
}

function isExecutable(file: string): Promise<boolean> {
	return isAccessibleFile(file, constants.X_OK);
}

/** Find `name` on PATH (like `which`), or in the extra directories given. */
export async function findOnPath(name: string, extraDirs: readonly string[] = []): Promise<string | undefined> {
	if (name.includes('/')) return (await isExecutable(name)) ? path.resolve(name) : undefined;
	const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...extraDirs];
	for (const dir of dirs) {
		const candidate = path.join(dir, name);
		if (await isExecutable(candidate)) return candidate;
	}
	return undefined;
}

export interface QemuBinary {
	path: string;
	version: string;
}

const qemuVersionCache = new Map<string, Promise<string>>();

/** The QEMU binary and its version; throws a `VmBootError` with the install command when missing. */
export async function findQemu(option?: string, arch: Arch = hostArch() ?? 'x86_64', environment?: string): Promise<QemuBinary> {
	const spec = archSpec(arch);
	// VM_EXEC_QEMU (`environment`, as the options gate read it) names the host arch's QEMU: a guest of
	// another arch uses its own emulator.
	const fromEnv = arch === (hostArch() ?? 'x86_64') ? environment : undefined;
	const wanted = option ?? fromEnv ?? spec.qemuBinary;
	const found = await findOnPath(wanted, ['/usr/libexec', '/usr/bin', '/run/current-system/sw/bin']);
	if (!found) {
		const hint =
			spec.arch === 'x86_64'
				? installHint('qemu')
				: `Install it with \`sudo apt-get install ${spec.qemuPackage}\` (or \`sh scripts/install-host-deps.sh --arch ${spec.arch}\`).`;
		throw new VmBootError(`QEMU (${wanted}) was not found${option || fromEnv ? '' : ' on PATH'}. ${hint}`);
	}
	let version = qemuVersionCache.get(found);
	if (!version) {
		version = execa(found, ['--version']).then(
			(result) => /version\s+(\S+)/.exec(result.stdout)?.[1] ?? result.stdout.split('\n')[0] ?? 'unknown',
		);
		qemuVersionCache.set(found, version);
	}
	try {
		return { path: found, version: await version };
	} catch (error) {
		qemuVersionCache.delete(found);
		throw new VmBootError(`QEMU (${found}) does not run: \`${found} --version\` failed. ${installHint('qemu')}`, { cause: error });
	}
}

/** The architecture of an ELF file (by `e_machine`), or undefined. */
export async function elfArchOf(file: string): Promise<Arch | undefined> {
	const handle = await open(file, 'r');
	try {
		const head = Buffer.alloc(20);
		await handle.read(head, 0, 20, 0);
		if (head.readUInt32BE(0) !== 0x7f454c46 || head[5] !== 1) return undefined;
		return archOfElfMachine(head.readUInt16LE(18));
	} finally {
		await handle.close();
	}
}

/** Is this file an ELF executable without a program interpreter (i.e. statically linked)? */
export async function isStaticElf(file: string): Promise<boolean> {
	const handle = await open(file, 'r');
	try {
		const head = Buffer.alloc(64);
		await handle.read(head, 0, 64, 0);
		if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2) return false;
		const phoff = Number(head.readBigUInt64LE(0x20));
		const phentsize = head.readUInt16LE(0x36);
		const phnum = head.readUInt16LE(0x38);
		const table = Buffer.alloc(phentsize * phnum);
		await handle.read(table, 0, table.length, phoff);
		for (let index = 0; index < phnum; index++) {
			if (table.readUInt32LE(index * phentsize) === 3 /* PT_INTERP */) return false;
		}
		return true;
	} finally {
		await handle.close();
	}
}

/**
 * A statically linked busybox of the guest's arch for the initramfs (it must run before any library is
 * reachable): `VM_EXEC_BUSYBOX`, else one in the `root` directory, else (for the host's arch) the host's.
 */
export async function findBusybox(
	options: {
		arch?: Arch | undefined;
		root?: string | undefined;
		/** `VM_EXEC_BUSYBOX`, as the options gate read it. */ explicit?: string | undefined;
	} = {},
): Promise<string> {
	const arch = options.arch ?? hostArch() ?? 'x86_64';
	const ofArch = async (file: string) => (await elfArchOf(file).catch(() => undefined)) === arch;
	const foreign = arch !== (hostArch() ?? 'x86_64');
	const hint = foreign
		? `Set VM_EXEC_BUSYBOX to a static ${arch} busybox (\`sh scripts/install-host-deps.sh --arch ${arch}\` unpacks Debian's busybox-static:${archSpec(arch).debianArch}), or put one in the root's /bin.`
		: installHint('busybox');
	const explicit = options.explicit;
	if (explicit) {
		if (!(await isExecutable(explicit)))
			throw new VmBootError(`VM_EXEC_BUSYBOX points at ${explicit}, which is not an executable file. Fix the path or unset it. ${hint}`);
		if (!(await isStaticElf(explicit).catch(() => false)))
			throw new VmBootError(`VM_EXEC_BUSYBOX points at ${explicit}, which is not a statically linked busybox. ${hint}`);
		if (!(await ofArch(explicit)))
			throw new VmBootError(`VM_EXEC_BUSYBOX points at ${explicit}, which is not an ${arch} program (the guest's \`arch\`). ${hint}`);
		return explicit;
	}
	const inRoot = options.root ? ['bin/busybox', 'usr/bin/busybox', 'sbin/busybox'].map((file) => path.join(options.root!, file)) : [];
	const onHost = foreign
		? []
		: ['/bin/busybox', '/usr/bin/busybox', '/usr/lib/initramfs-tools/bin/busybox', await findOnPath('busybox')].filter(
				(candidate): candidate is string => Boolean(candidate),
			);
	let dynamic: string | undefined;
	for (const candidate of [...inRoot, ...onHost]) {
		if (!(await isExecutable(candidate))) continue;
		if (!(await ofArch(candidate))) continue;
		if (await isStaticElf(candidate).catch(() => false)) return candidate;
		dynamic ??= candidate;
	}
	if (dynamic) {
		throw new VmBootError(`busybox at ${dynamic} is dynamically linked; the guest's initramfs needs a static one. ${hint}`);
	}
	throw new VmBootError(`A static ${arch} busybox was not found (looked at ${[...inRoot, ...onHost].join(', ') || 'nothing'}). ${hint}`);
}

/** Where distributions install qboot, the minimal firmware that boots a kernel fastest. */
const QBOOT_PATHS = ['/usr/share/qemu/qboot.rom', '/usr/share/seabios/qboot.rom'];

/** The qboot firmware file, or undefined (QEMU then uses SeaBIOS: about a second slower). */
export async function findQboot(): Promise<string | undefined> {
	for (const file of QBOOT_PATHS) {
		if (
			await stat(file).then(
				(info) => info.isFile(),
				() => false,
			)
		)
			return file;
	}
	return undefined;
}
