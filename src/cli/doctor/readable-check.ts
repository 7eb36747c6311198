/**
 * The doctor's check of what the host user can read of the guest's root: QEMU's 9p share reads the host as
 * this user, so whatever the user cannot read, not even the guest's root can. The guest makes its own of
 * the paths it needs most (FRESH_PATHS); the others are named with what fails in the guest.
 */
import { constants } from 'node:fs';
import { access, lstat } from 'node:fs/promises';
import path from 'node:path';
import { FRESH_PATHS, HOST_ONLY_PATHS, type GuestPath } from '../../guest/fresh-paths.js';
import type { DoctorCheck } from './check.js';

/** Whether this process can read `file` (a directory: read and search it). Absent paths count as readable. */
async function readable(file: string): Promise<boolean> {
	const info = await lstat(file).catch(() => undefined);
	if (!info || info.isSymbolicLink()) return true;
	return access(file, info.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK).then(
		() => true,
		() => false,
	);
}

/**
 * The check's result from the paths the user cannot read (in the guest's root). Pure: the doctor's line,
 * a warning naming each unreadable path the guest shows as on the host, with its consequence.
 */
export function describeUnreadable(unreadable: readonly GuestPath[]): DoctorCheck {
	const fresh = unreadable.filter((entry) => entry.guest === 'fresh').map((entry) => entry.path);
	const replaced = fresh.length > 0 ? `; the guest has its own ${fresh.join(', ')} (as for every user)` : '';
	const host = unreadable.filter((entry) => entry.guest === 'host');
	if (host.length === 0) return { name: 'readable', status: 'ok', detail: `the guest can read what it commonly needs${replaced}` };
	return {
		name: 'readable',
		status: 'warn',
		detail: `unreadable to this user, so in the guest too (even as root): ${host.map((entry) => `${entry.path} (${entry.note})`).join('; ')}${replaced}`,
		fix: 'run as root, or give the guest what it needs another way (the `shared` dir, a disk, a file written in the guest)',
	};
}

/** Check the guest's root (the host's `/`, or `--root`) for the paths the guest commonly needs. */
export async function checkReadable(root = '/'): Promise<DoctorCheck> {
	const entries = [...FRESH_PATHS, ...HOST_ONLY_PATHS];
	const results = await Promise.all(entries.map((entry) => readable(path.join(root, entry.path))));
	return describeUnreadable(entries.filter((_, index) => !results[index]));
}
