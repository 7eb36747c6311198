import { readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { isLockStale, tryAcquireSnapshotLock } from '../../../src/snapshot/lock.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const tempDir = useTempDir();
let lockFile: string;
beforeEach(() => {
	lockFile = path.join(tempDir(), 'key.lock');
});

/** A pid that is certainly not running: above the kernel's pid limit. */
const DEAD_PID = 2 ** 22 + 1;

describe('isLockStale', () => {
	const options = { hostname: 'here', staleMs: 1000, isAlive: (pid: number) => pid === 42 };
	it('keeps a fresh lock of a live process', () => {
		expect(isLockStale({ owner: { pid: 42, hostname: 'here', createdAt: 10_000 }, mtimeMs: 10_000 }, 10_500, options)).toBe(false);
	});
	it('breaks a lock whose process is gone', () => {
		expect(isLockStale({ owner: { pid: 7, hostname: 'here', createdAt: 10_000 }, mtimeMs: 10_000 }, 10_500, options)).toBe(true);
	});
	it('judges a lock from another host by its age only', () => {
		expect(isLockStale({ owner: { pid: 7, hostname: 'there', createdAt: 10_000 }, mtimeMs: 10_000 }, 10_500, options)).toBe(false);
		expect(isLockStale({ owner: { pid: 7, hostname: 'there', createdAt: 10_000 }, mtimeMs: 10_000 }, 11_500, options)).toBe(true);
	});
	it('breaks an unreadable lock once it is older than its creator needs to write it', () => {
		expect(isLockStale({ owner: undefined, mtimeMs: 10_000 }, 10_500, options)).toBe(false);
		expect(isLockStale({ owner: undefined, mtimeMs: 10_000 }, 11_500, options)).toBe(true);
	});
});

describe('tryAcquireSnapshotLock', () => {
	it('gives the lock to one caller and none to a second one, without waiting', async () => {
		const first = await tryAcquireSnapshotLock(lockFile);
		expect(first).toBeDefined();
		expect(await tryAcquireSnapshotLock(lockFile)).toBeUndefined();
		await first!.release();
		const again = await tryAcquireSnapshotLock(lockFile);
		expect(again).toBeDefined();
		await again!.release();
	});

	it('gives the lock to exactly one of many parallel callers', async () => {
		const locks = await Promise.all(Array.from({ length: 8 }, () => tryAcquireSnapshotLock(lockFile)));
		expect(locks.filter(Boolean)).toHaveLength(1);
		await Promise.all(locks.map((lock) => lock?.release()));
	});

	it('breaks the lock of a creator that died', async () => {
		await writeFile(lockFile, JSON.stringify({ pid: DEAD_PID, hostname: os.hostname(), createdAt: Date.now() }));
		const lock = await tryAcquireSnapshotLock(lockFile);
		expect(lock).toBeDefined();
		expect(JSON.parse(await readFile(lockFile, 'utf8'))).toMatchObject({ pid: process.pid });
		await lock!.release();
	});

	it('breaks a lock older than the stale age even if its pid is alive', async () => {
		await writeFile(lockFile, JSON.stringify({ pid: process.pid, hostname: os.hostname(), createdAt: Date.now() - 60_000 }));
		const lock = await tryAcquireSnapshotLock(lockFile, { staleMs: 30_000 });
		expect(lock).toBeDefined();
		await lock!.release();
	});

	it('breaks an empty lock file left by a creator that died before writing it', async () => {
		await writeFile(lockFile, '');
		const old = new Date(Date.now() - 60_000);
		await utimes(lockFile, old, old);
		const lock = await tryAcquireSnapshotLock(lockFile);
		expect(lock).toBeDefined();
		await lock!.release();
	});

	it('does not remove a lock that another worker took over', async () => {
		const lock = await tryAcquireSnapshotLock(lockFile);
		const theirs = JSON.stringify({ pid: process.pid, hostname: os.hostname(), createdAt: 1 });
		await writeFile(lockFile, theirs);
		await lock!.release();
		expect(await readFile(lockFile, 'utf8')).toBe(theirs);
	});
});
