/**
 * A lock file (created with O_EXCL) so that parallel test workers starting the same configuration create
 * its snapshot once. A worker that finds the lock held does not wait: it boots cold. A lock left behind
 * by a creator that died (its pid is gone, or the lock is older than any creation can take) is broken.
 */
import { link, open, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import { createDebug } from '../debug.js';
import { isProcessAlive } from '../lifecycle/process-alive.js';

const debug = createDebug('snapshot');

/** Creating a snapshot is a cold boot plus a save: seconds. A lock this old was abandoned. */
export const STALE_LOCK_MS = 10 * 60_000;
/** A lock file is written right after it is created: one still empty after this long was abandoned. */
const UNREADABLE_LOCK_STALE_MS = 10_000;

export interface LockOwner {
	pid: number;
	hostname: string;
	createdAt: number;
}

export interface SnapshotLock {
	release(): Promise<void>;
}

/** Whether a lock may be broken: its owner is gone, or it is too old (by its content, else its mtime). */
export function isLockStale(
	lock: { owner: LockOwner | undefined; mtimeMs: number },
	now: number,
	options: { hostname: string; staleMs: number; isAlive: (pid: number) => boolean },
): boolean {
	const { owner } = lock;
	// Empty or garbled: its creator died between creating and writing it.
	if (!owner) return now - lock.mtimeMs > Math.min(UNREADABLE_LOCK_STALE_MS, options.staleMs);
	if (now - owner.createdAt > options.staleMs) return true;
	// A pid only means something on the host that wrote it.
	return owner.hostname === options.hostname && !options.isAlive(owner.pid);
}

function parseOwner(text: string): LockOwner | undefined {
	try {
		const value = JSON.parse(text) as Partial<LockOwner>;
		if (typeof value.pid === 'number' && typeof value.hostname === 'string' && typeof value.createdAt === 'number')
			return value as LockOwner;
	} catch {}
	return undefined;
}

async function tryCreate(file: string, owner: LockOwner): Promise<boolean> {
	try {
		const handle = await open(file, 'wx', 0o644);
		try {
			await handle.writeFile(JSON.stringify(owner));
		} finally {
			await handle.close();
		}
		return true;
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
		throw error;
	}
}

/**
 * Take the lock, or resolve `undefined` at once when a live owner holds it. Never waits.
 */
export async function tryAcquireSnapshotLock(file: string, options: { staleMs?: number } = {}): Promise<SnapshotLock | undefined> {
	const owner: LockOwner = { pid: process.pid, hostname: os.hostname(), createdAt: Date.now() };
	const staleMs = options.staleMs ?? STALE_LOCK_MS;
	for (let attempt = 0; attempt < 2; attempt++) {
		if (await tryCreate(file, owner)) return { release: () => releaseLock(file, owner) };
		const [text, info] = await Promise.all([readFile(file, 'utf8').catch(() => undefined), stat(file).catch(() => undefined)]);
		if (text === undefined || info === undefined) continue; // released in between: try again
		const current = parseOwner(text);
		if (
			!isLockStale({ owner: current, mtimeMs: info.mtimeMs }, Date.now(), { hostname: owner.hostname, staleMs, isAlive: isProcessAlive })
		) {
			debug(`lock ${file} is held by pid ${current?.pid ?? '?'}: booting cold`);
			return undefined;
		}
		// Break the stale lock by renaming it aside first: of several workers breaking it at once, only one
		// rename succeeds, and no one deletes a lock that a faster worker has just created.
		const aside = `${file}.stale-${process.pid}`;
		try {
			await rename(file, aside);
		} catch {
			continue;
		}
		const taken = await readFile(aside, 'utf8').catch(() => undefined);
		if (taken !== text) {
			// A faster worker broke the stale lock and took it: put its lock back (link fails if one exists).
			await link(aside, file).catch(() => {});
			await rm(aside, { force: true });
			debug(`lock ${file} changed while breaking it: booting cold`);
			return undefined;
		}
		await rm(aside, { force: true });
		debug(`broke a stale lock of pid ${current?.pid} on ${file}`);
	}
	return undefined;
}

async function releaseLock(file: string, owner: LockOwner): Promise<void> {
	// Remove it only if it is still ours (it may have been broken as stale and retaken).
	const text = await readFile(file, 'utf8').catch(() => undefined);
	const current = text === undefined ? undefined : parseOwner(text);
	if (current && current.pid === owner.pid && current.createdAt === owner.createdAt && current.hostname === owner.hostname) {
		await rm(file, { force: true });
	}
}
