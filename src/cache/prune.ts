/**
 * Least-recently-used pruning of the built files in the cache directory (`initramfs-<key>.cpio`,
 * `vmlinux-<key>`). Every new input (an upgrade of vm-exec, the kernel, busybox or the shell) gets a new
 * key and so a new file; without pruning the old ones stay forever. A file's mtime records its last use.
 */
import { readdir, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from '../debug.js';

const debug = createDebug('cache');

/** One initramfs per (kernel, shell, busybox): a few cover a machine with a spare kernel and a shell or two. */
export const MAX_INITRAMFS_FILES = 4;
/** One vmlinux per kernel image (40–65 MB each): the running kernel, the previous one and one more. */
export const MAX_VMLINUX_FILES = 3;
/** A file unused for a month belongs to a kernel or a version that is gone. */
export const UNUSED_CACHE_FILE_AGE_MS = 30 * 24 * 60 * 60_000;
/**
 * Never remove a file used this recently: another test worker may be about to launch QEMU with it.
 * QEMU reads -kernel and -initrd when it starts, so a file only has to survive until then.
 */
export const MIN_PRUNE_AGE_MS = 60 * 60_000;
/** Mark a file used again after this long: shorter than MIN_PRUNE_AGE_MS, so a file in use always looks recent. */
const MARK_INTERVAL_MS = 10 * 60_000;

export interface CachedFileEntry {
	name: string;
	/** When the file was last used (ms since the epoch). */
	usedAt: number;
}

export interface PruneLimits {
	/** How many files to keep at most, the kept one included. */
	max: number;
	/** Remove files unused for longer than this. @default UNUSED_CACHE_FILE_AGE_MS */
	maxUnusedMs?: number;
	/** Never remove a file used within this long. @default MIN_PRUNE_AGE_MS */
	minAgeMs?: number;
	/** @default Date.now() */
	now?: number;
}

/**
 * The names to remove: those beyond the `max` most recently used (`keep` counts as one of them) and
 * those unused for longer than `maxUnusedMs`; never `keep` and never one used within `minAgeMs`.
 * Most recently used first.
 */
export function selectFilesToPrune(entries: readonly CachedFileEntry[], keep: string, limits: PruneLimits): string[] {
	const { max, maxUnusedMs = UNUSED_CACHE_FILE_AGE_MS, minAgeMs = MIN_PRUNE_AGE_MS, now = Date.now() } = limits;
	const others = entries.filter((entry) => entry.name !== keep).sort((a, b) => b.usedAt - a.usedAt || a.name.localeCompare(b.name));
	return others
		.filter((entry, index) => now - entry.usedAt >= minAgeMs && (index >= max - 1 || now - entry.usedAt > maxUnusedMs))
		.map((entry) => entry.name);
}

export interface PruneCachedFilesOptions extends PruneLimits {
	/** The files' names are `<prefix><hex key><suffix>`. */
	prefix: string;
	suffix?: string;
	/** The name of the file just built or used, never removed. */
	keep: string;
	/** Suffixes of files that go with a pruned one (`.none`: `vmlinux-<key>.none` goes with `vmlinux-<key>`). */
	companions?: readonly string[];
}

/**
 * Remove the least recently used `<prefix><key><suffix>` files in `cacheDir` (see `selectFilesToPrune`),
 * their companions, and temp files of this prefix that a crashed write left behind. Never throws: a file
 * that could not be removed stays for the next time. Resolves with the names removed.
 */
export async function pruneCachedFiles(cacheDir: string, options: PruneCachedFilesOptions): Promise<string[]> {
	const { prefix, suffix = '', keep, companions = [] } = options;
	const now = options.now ?? Date.now();
	const minAgeMs = options.minAgeMs ?? MIN_PRUNE_AGE_MS;
	try {
		const names = await readdir(cacheDir);
		const found = await Promise.all(
			names
				.filter((name) => name.startsWith(prefix))
				.map(async (name) => ({ name, usedAt: (await stat(path.join(cacheDir, name)).catch(() => undefined))?.mtimeMs })),
		);
		const entries = found.filter(
			(entry): entry is CachedFileEntry => entry.usedAt !== undefined && isKeyedName(entry.name, prefix, suffix),
		);
		// A temp file older than any write takes was left by a writer that died (it renames or removes its own).
		const strayTemps = found.filter(
			(entry) => /\.tmp-[\w-]+$/.test(entry.name) && entry.usedAt !== undefined && now - entry.usedAt > minAgeMs,
		);
		const doomed = selectFilesToPrune(entries, keep, { ...options, now, minAgeMs });
		const removed: string[] = [];
		for (const name of doomed) {
			if (await remove(cacheDir, name, 'least recently used')) removed.push(name);
			for (const companion of companions.map((ending) => name + ending).filter((other) => names.includes(other))) {
				if (await remove(cacheDir, companion, `goes with ${name}`)) removed.push(companion);
			}
		}
		for (const { name } of strayTemps) {
			if (await remove(cacheDir, name, 'left by a write that died')) removed.push(name);
		}
		return removed;
	} catch (error) {
		debug(`pruning ${prefix}* files in ${cacheDir} failed: ${String(error)}`);
		return [];
	}
}

/** `<prefix><hex key><suffix>`, the way cache files are named (see `hashKey`). */
function isKeyedName(name: string, prefix: string, suffix: string): boolean {
	if (!name.startsWith(prefix) || !name.endsWith(suffix) || name.length <= prefix.length + suffix.length) return false;
	return /^[0-9a-f]+$/.test(name.slice(prefix.length, name.length - suffix.length));
}

async function remove(cacheDir: string, name: string, why: string): Promise<boolean> {
	try {
		// Safe while a VM runs from the file: Linux keeps it until QEMU lets go.
		await rm(path.join(cacheDir, name), { force: true });
		debug(`removed ${name} from the cache (${why})`);
		return true;
	} catch (error) {
		debug(`cannot remove ${name} from the cache: ${String(error)}`);
		return false;
	}
}

/** Record that `file` was used (its mtime), for pruning the least recently used files. Never rejects. */
export async function markCachedFileUsed(file: string): Promise<void> {
	const now = new Date();
	await utimes(file, now, now).catch(() => {});
}

/** When this process last marked each file used. */
const markedAt = new Map<string, number>();

/**
 * Record a cache hit on `file` without waiting: at most once per MARK_INTERVAL_MS per file in a process,
 * so a start costs one utimes at most, and usually none.
 */
export function markCacheHit(file: string, now = Date.now()): void {
	const last = markedAt.get(file);
	if (last !== undefined && now - last < MARK_INTERVAL_MS) return;
	markedAt.set(file, now);
	void markCachedFileUsed(file);
}
