/**
 * The shell of a `root` directory, when the initramfs can carry it: a static program of the guest's arch
 * (a busybox root's /bin/sh). Carried, it starts before the snapshot point as the host's shell does for the
 * host's root (see guest-shell.ts); a dynamically linked one starts after boot, in the root.
 */
import { lstat, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Arch } from '../arch/arch.js';
import { elfArchOf, isStaticElf } from '../qemu/host-tools.js';
import type { GuestShell } from './guest-shell.js';

/** Follow symlinks as the guest would see them: absolute targets are inside `root`. */
export async function resolveInRoot(root: string, guestPath: string): Promise<string | undefined> {
	let current = path.join(root, guestPath);
	for (let hops = 0; hops < 16; hops++) {
		const info = await lstat(current).catch(() => undefined);
		if (!info) return undefined;
		if (!info.isSymbolicLink()) return current;
		const target = await readlink(current);
		current = target.startsWith('/') ? path.join(root, target) : path.join(path.dirname(current), target);
		// A relative link may climb: never leave the root.
		if (path.relative(root, current).startsWith('..')) return undefined;
	}
	return undefined;
}

/** The root's shell as a carried guest shell, or undefined when it is not a static program of `arch`. */
export async function resolveRootShell(root: string, shell: string, arch: Arch): Promise<GuestShell | undefined> {
	const file = await resolveInRoot(root, shell);
	if (!file) return undefined;
	const fits = (await elfArchOf(file).catch(() => undefined)) === arch && (await isStaticElf(file).catch(() => false));
	return fits ? { shell: file, interpreter: undefined, libraries: [] } : undefined;
}
