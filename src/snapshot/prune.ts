/**
 * Removing snapshots: a bad one, the least recently used ones, and the files of saves that died.
 */
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from '../debug.js';
import { parseMeta, ramFileOf, readSidecar, sidecarPath, snapshotsDir } from './layout.js';

const debug = createDebug('snapshot');

/** Files of a save that died are removed by the next save after this long. */
const ORPHAN_AGE_MS = 30 * 60_000;
/** A state file no sidecar names yet may be a racing save about to write its sidecar: spare it this long. */
const UNNAMED_STATE_AGE_MS = 60_000;
/**
 * Every configuration (and every kernel or QEMU upgrade) gets its own ~100 MB snapshot. Keep the most
 * recently used ones, and none unused for a month, so the cache does not grow without bound.
 */
export const MAX_SNAPSHOTS = 8;
const UNUSED_SNAPSHOT_AGE_MS = 30 * 24 * 60 * 60_000;

/**
 * Remove a bad snapshot, but only if the sidecar still names the file found bad: a worker may have
 * replaced it with a good one in the meantime.
 */
export async function removeSnapshot(cacheDir: string, key: string, badFile: string | undefined): Promise<void> {
	const text = await readSidecar(cacheDir, key);
	const current = text === undefined ? undefined : parseMeta(text, key);
	if (current && badFile !== undefined && current.file !== badFile) return;
	debug(`removing snapshot ${key}`);
	await rm(sidecarPath(cacheDir, key), { force: true });
	const stateFile = current?.file ?? badFile;
	if (stateFile === undefined) return;
	// Unlinking is safe while VMs run from the files: Linux keeps a mapped or open file until they let go.
	await rm(path.join(snapshotsDir(cacheDir), stateFile), { force: true });
	await rm(path.join(snapshotsDir(cacheDir), current?.ramFile ?? ramFileOf(stateFile)), { force: true });
}

/** Record that a snapshot was used (its sidecar's mtime), for pruning the least recently used ones. */
export async function markSnapshotUsed(cacheDir: string, key: string): Promise<void> {
	const now = new Date();
	await utimes(sidecarPath(cacheDir, key), now, now).catch(() => {});
}

/** Remove the snapshots of other keys beyond the `max` most recently used, and those unused for a month. */
export async function pruneSnapshots(cacheDir: string, keep: string, options: { max?: number; now?: number } = {}): Promise<void> {
	const max = options.max ?? MAX_SNAPSHOTS;
	const now = options.now ?? Date.now();
	const dir = snapshotsDir(cacheDir);
	const names = await readdir(dir).catch(() => [] as string[]);
	const sidecars = await Promise.all(
		names
			.filter((name) => name.endsWith('.json') && name !== `${keep}.json`)
			.map(async (name) => ({
				key: name.slice(0, -'.json'.length),
				usedAt: (await stat(path.join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
			})),
	);
	sidecars.sort((a, b) => b.usedAt - a.usedAt);
	const doomed = sidecars.filter((entry, index) => index >= max - 1 || now - entry.usedAt > UNUSED_SNAPSHOT_AGE_MS);
	for (const { key } of doomed) {
		debug(`pruning the least recently used snapshot ${key}`);
		await removeSnapshot(cacheDir, key, undefined);
	}
}

/** Remove this key's files that no sidecar names: older saves, and saves that died long ago. */
export async function removeOrphans(cacheDir: string, key: string, keep: readonly string[]): Promise<void> {
	const dir = snapshotsDir(cacheDir);
	const names = await readdir(dir).catch(() => [] as string[]);
	const now = Date.now();
	await Promise.all(
		names
			.filter((name) => name.startsWith(`${key}-`) && !keep.includes(name) && /\.(?:vmstate|ram|partial)$/.test(name))
			.map(async (name) => {
				const file = path.join(dir, name);
				const info = await stat(file).catch(() => undefined);
				// Replaced files may still be used by a VM restoring from them: Linux keeps an open or mapped file
				// after unlink, and a restore that has not opened them yet falls back to a cold boot.
				const maxAge = name.endsWith('.partial') ? ORPHAN_AGE_MS : UNNAMED_STATE_AGE_MS;
				if (info && now - info.mtimeMs > maxAge) await rm(file, { force: true });
			}),
	);
}
