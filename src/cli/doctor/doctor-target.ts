/**
 * What `vm-exec doctor --arch=ARCH --root=DIR` checks for (pure): the guest's arch and root as `startVm`
 * and the main command take them, and which checks apply to that VM.
 */
import path from 'node:path';
import { type Arch, ARCHES, archSpec } from '../../arch/arch.js';
import { ARCH_ALIASES, archValue, rootValue } from '../../arch/arch-options.js';
import { UsageError } from '../args/usage-error.js';

export interface DoctorTarget {
	arch: Arch;
	/** Whether the guest's arch is not the host's: no KVM, and it needs a root of its own. */
	foreign: boolean;
	/** The root directory to check: `--root`, or (for a foreign arch) where the install script unpacks one. */
	root: string | undefined;
	/** Where `root` came from: the flag, or the install script's default directory. */
	rootSource: 'option' | 'default' | undefined;
	/** Where the install script unpacks a root of this arch (named in the fix of a failing root). */
	defaultRoot: string;
}

/**
 * Where `sh scripts/install-host-deps.sh --arch ARCH` unpacks the busybox root of that arch (the script's
 * `$VM_EXEC_ARCH_DIR`, default `$XDG_CACHE_HOME/vm-exec/arch`, then `~/.cache/vm-exec/arch`).
 */
export function defaultArchRoot(arch: Arch, env: NodeJS.ProcessEnv, home: string): string {
	const archDir = env.VM_EXEC_ARCH_DIR || path.join(env.XDG_CACHE_HOME || path.join(home, '.cache'), 'vm-exec', 'arch');
	return path.join(archDir, arch);
}

/**
 * The arch and root to check, from `--arch` and `--root` (the spellings the options gate accepts); a bad
 * value is a usage error that lists the accepted ones.
 */
export function parseDoctorTarget(
	flags: { arch?: string | undefined; root?: string | undefined },
	host: { arch: Arch | undefined; env: NodeJS.ProcessEnv; home: string },
): DoctorTarget {
	let arch: Arch;
	try {
		arch = archValue(flags.arch ?? host.arch ?? 'x86_64');
	} catch {
		const aliases = Object.keys(ARCH_ALIASES).join(', ');
		throw new UsageError(`Expected \`--arch\` to be ${ARCHES.join(' or ')} (also ${aliases}), got \`${flags.arch}\`.`);
	}
	const foreign = arch !== host.arch;
	const defaultRoot = defaultArchRoot(arch, host.env, host.home);
	if (flags.root !== undefined) {
		try {
			return { arch, foreign, root: rootValue(flags.root, arch), rootSource: 'option', defaultRoot };
		} catch {
			throw new UsageError(`Expected \`--root\` to be a directory path, got \`${flags.root}\`.`);
		}
	}
	if (!foreign) return { arch, foreign, root: undefined, rootSource: undefined, defaultRoot };
	return { arch, foreign, root: defaultRoot, rootSource: 'default', defaultRoot };
}

/** The names of the checks that apply to the target, in the order doctor prints them. */
export function selectDoctorChecks(target: DoctorTarget): string[] {
	const ownRoot = target.root !== undefined;
	return [
		'QEMU',
		'KVM',
		'kernel',
		'modules',
		// Another root brings its own shell (the root line checks it) and the CLI runs scripts with its shells.
		...(ownRoot ? ['root'] : []),
		'busybox',
		...(ownRoot ? [] : ['shell']),
		'cache dir',
		...(archSpec(target.arch).usesQboot ? ['firmware'] : []),
		...(ownRoot ? [] : ['bash']),
		'readable',
	];
}

/** What a failing root check suggests: another root, or the one the install script makes. */
export function rootFix(target: DoctorTarget): string {
	const { arch } = target;
	if (!target.foreign) return `pass --root=DIR with an ${arch} userland, or leave --root out (the guest then sees the host's /)`;
	const script = `\`sh scripts/install-host-deps.sh --arch ${arch}\``;
	return target.rootSource === 'option'
		? `pass --root=DIR with an ${arch} userland (${script} unpacks a busybox one, with its kernel, into ${target.defaultRoot})`
		: `run ${script} (it unpacks a busybox ${arch} root, with its kernel, there), or pass --root=DIR with an ${arch} userland`;
}

/** The subject of doctor's verdict line: "A VM", "An aarch64 VM", "A VM with the root DIR". */
export function describeTarget(target: DoctorTarget): string {
	const vm = target.foreign ? `An ${target.arch} VM` : 'A VM';
	return target.rootSource === 'option' ? `${vm} with the root ${target.root}` : vm;
}
