import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sidecarPath, snapshotsDir } from '../../../src/snapshot/layout.js';
import { pruneSnapshots, removeSnapshot } from '../../../src/snapshot/prune.js';
import { lookUpSnapshot } from '../../../src/snapshot/store.js';
import { useFakeSnapshotCache } from '../../helpers/fake-snapshot.js';

const cache = useFakeSnapshotCache();
const saveFake = cache.saveFake;

describe('removing a snapshot', () => {
	it('removes a bad snapshot with its state and RAM files', async () => {
		const file = await saveFake('k1');
		await removeSnapshot(cache.cacheDir(), 'k1', path.basename(file));
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toEqual({ status: 'missing' });
		expect(await readdir(snapshotsDir(cache.cacheDir()))).toEqual([]);
	});

	it('keeps a snapshot that another worker saved after the bad one was found', async () => {
		const bad = await saveFake('k1');
		const good = await saveFake('k1');
		await removeSnapshot(cache.cacheDir(), 'k1', path.basename(bad));
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({ status: 'valid', file: good });
	});

	it('keeps snapshots of other keys apart', async () => {
		await saveFake('k1');
		await saveFake('k2');
		await removeSnapshot(cache.cacheDir(), 'k1', undefined);
		expect((await lookUpSnapshot(cache.cacheDir(), 'k1')).status).toBe('missing');
		expect((await lookUpSnapshot(cache.cacheDir(), 'k2')).status).toBe('valid');
	});
});

describe('pruning', () => {
	it('keeps the most recently used snapshots and removes the others', async () => {
		for (const key of ['a', 'b', 'c', 'd']) await saveFake(key, 1000);
		// Make a the oldest and b the most recently used.
		const { utimes } = await import('node:fs/promises');
		const at = (seconds: number) => new Date(Date.now() - seconds * 1000);
		await utimes(sidecarPath(cache.cacheDir(), 'a'), at(400), at(400));
		await utimes(sidecarPath(cache.cacheDir(), 'b'), at(10), at(10));
		await utimes(sidecarPath(cache.cacheDir(), 'c'), at(300), at(300));
		await pruneSnapshots(cache.cacheDir(), 'd', { max: 2 });
		const statuses = await Promise.all(['a', 'b', 'c', 'd'].map(async (key) => (await lookUpSnapshot(cache.cacheDir(), key)).status));
		expect(statuses).toEqual(['missing', 'valid', 'missing', 'valid']);
		expect((await readdir(snapshotsDir(cache.cacheDir()))).sort()).toEqual(expect.arrayContaining(['b.json', 'd.json']));
		expect(await readdir(snapshotsDir(cache.cacheDir()))).toHaveLength(6);
	});

	it('removes snapshots unused for a month even below the limit', async () => {
		await saveFake('old', 1000);
		await saveFake('new', 1000);
		await pruneSnapshots(cache.cacheDir(), 'new', { now: Date.now() + 31 * 24 * 60 * 60_000 });
		expect((await lookUpSnapshot(cache.cacheDir(), 'old')).status).toBe('missing');
		expect((await lookUpSnapshot(cache.cacheDir(), 'new')).status).toBe('valid');
	});
});
