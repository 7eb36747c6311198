/**
 * Removing what runs that died without cleaning up (SIGKILL, power loss) left in the temp directory:
 * `vm-exec-<pid>-*` workspaces and `vm-exec-shared-<pid>-*` dirs whose process no longer exists.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from '../debug.js';
import { isProcessAlive } from './process-alive.js';

const debug = createDebug('cleanup');
const STALE_NAME = /^vm-exec(?:-shared)?-(\d+)-/;

/** The pid a vm-exec temp dir name was made by, or undefined for other names. Pure. */
export function ownerPidOf(name: string): number | undefined {
	const match = STALE_NAME.exec(name);
	return match ? Number(match[1]) : undefined;
}

export async function removeStaleWorkspaces(tempDir: string): Promise<string[]> {
	const removed: string[] = [];
	const names = await readdir(tempDir).catch(() => [] as string[]);
	const uid = process.getuid?.();
	for (const name of names) {
		const pid = ownerPidOf(name);
		if (pid === undefined || pid === process.pid || isProcessAlive(pid)) continue;
		const full = path.join(tempDir, name);
		const info = await stat(full).catch(() => undefined);
		if (!info?.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
		await rm(full, { recursive: true, force: true }).catch(() => {});
		removed.push(full);
	}
	if (removed.length > 0) debug(`removed ${removed.length} stale dirs: ${removed.join(', ')}`);
	return removed;
}
