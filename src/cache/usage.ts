/**
 * How much disk the cache uses (for `vm-exec doctor` and `vm-exec cache`), and emptying it.
 *
 * Clearing removes only the files vm-exec itself writes there, by name: if `VM_EXEC_CACHE` points at a
 * directory that holds anything else (a home directory, by mistake), that is left alone.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { SNAPSHOTS_SUBDIR } from './dir.js';

/** Names of what vm-exec caches: extracted kernels, initramfs archives, KVM verdicts, temp files of atomic writes. */
const CACHE_FILE_PATTERN = /^(?:vmlinux-[0-9a-f]+(?:\.none)?|initramfs-[0-9a-f]+\.cpio|accel-[0-9a-f]+\.json)(?:\.tmp-[\w-]+)?$/;

export interface CacheUsage {
	dir: string;
	/** Disk space in use (allocated blocks, so sparse files count what they really take). */
	totalBytes: number;
	snapshotBytes: number;
	/** Number of saved snapshots (configurations). */
	snapshots: number;
}

async function diskUsage(file: string): Promise<number> {
	const info = await stat(file).catch(() => undefined);
	if (!info) return 0;
	if (!info.isDirectory()) return info.blocks * 512;
	const names = await readdir(file).catch(() => [] as string[]);
	const sizes = await Promise.all(names.map((name) => diskUsage(path.join(file, name))));
	return sizes.reduce((sum, size) => sum + size, 0);
}

function isCacheEntry(name: string): boolean {
	return name === SNAPSHOTS_SUBDIR || CACHE_FILE_PATTERN.test(name);
}

/** The disk usage of the cache directory (0 when it does not exist yet). */
export async function measureCache(cacheDir: string): Promise<CacheUsage> {
	const names = await readdir(cacheDir).catch(() => [] as string[]);
	const entries = names.filter(isCacheEntry);
	const sizes = await Promise.all(entries.map(async (name) => [name, await diskUsage(path.join(cacheDir, name))] as const));
	const snapshotNames = await readdir(path.join(cacheDir, SNAPSHOTS_SUBDIR)).catch(() => [] as string[]);
	return {
		dir: cacheDir,
		totalBytes: sizes.reduce((sum, [, size]) => sum + size, 0),
		snapshotBytes: sizes.find(([name]) => name === SNAPSHOTS_SUBDIR)?.[1] ?? 0,
		snapshots: snapshotNames.filter((name) => name.endsWith('.json')).length,
	};
}

/**
 * Remove everything vm-exec cached (VMs already running keep their open files; the next start rebuilds
 * what it needs). Resolves with the usage that was freed.
 */
export async function clearCache(cacheDir: string): Promise<CacheUsage> {
	const before = await measureCache(cacheDir);
	const names = await readdir(cacheDir).catch(() => [] as string[]);
	await Promise.all(names.filter(isCacheEntry).map((name) => rm(path.join(cacheDir, name), { recursive: true, force: true })));
	return before;
}

/** `123.4 MB`, for humans. */
export function formatBytes(bytes: number): string {
	const units = ['B', 'kB', 'MB', 'GB', 'TB'];
	let value = bytes;
	let unit = 0;
	while (value >= 1000 && unit < units.length - 1) {
		value /= 1000;
		unit++;
	}
	return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** One line describing the cache, e.g. `/home/me/.cache/vm-exec: 180.2 MB (2 snapshots: 140.6 MB)`. */
export function describeCacheUsage(usage: CacheUsage): string {
	const snapshots = usage.snapshots === 1 ? '1 snapshot' : `${usage.snapshots} snapshots`;
	return `${usage.dir}: ${formatBytes(usage.totalBytes)} (${snapshots}: ${formatBytes(usage.snapshotBytes)})`;
}
