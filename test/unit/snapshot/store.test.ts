import { readFile, truncate, writeFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { sidecarPath } from '../../../src/snapshot/layout.js';
import { commitSnapshot, createPartialPaths, lookUpSnapshot } from '../../../src/snapshot/store.js';
import { fakeDetails, overwrite, ramOf, useFakeSnapshotCache } from '../../helpers/fake-snapshot.js';

const cache = useFakeSnapshotCache();
const saveFake = cache.saveFake;

describe('snapshot store', () => {
	it('finds nothing before a save, and the saved file after it', async () => {
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toEqual({ status: 'missing' });
		const file = await saveFake('k1');
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({
			status: 'valid',
			file,
			ramFile: ramOf(file),
			meta: { key: 'k1', size: 5 * 1024 * 1024, ramSize: 16 * 1024 * 1024 },
		});
	});

	it('reports a truncated or overwritten RAM file as corrupt', async () => {
		const file = await saveFake('k1');
		await overwrite(ramOf(file), 0, Buffer.from('garbage'));
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({
			status: 'corrupt',
			reason: expect.stringMatching(/RAM file does not match its checksum/),
		});
		await truncate(ramOf(file), 1024);
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({
			status: 'corrupt',
			reason: expect.stringMatching(/RAM file is 1024 bytes.*truncated/),
		});
	});

	it('reports a truncated state file as corrupt', async () => {
		const file = await saveFake('k1');
		await truncate(file, 1024 * 1024);
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('truncated') });
	});

	it('reports a state file overwritten in place as corrupt', async () => {
		const file = await saveFake('k1');
		await overwrite(file, 0, Buffer.from('garbage'));
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('checksum') });
	});

	it('reports a missing state file and an unreadable sidecar as corrupt', async () => {
		await saveFake('k1');
		const meta = JSON.parse(await readFile(sidecarPath(cache.cacheDir(), 'k1'), 'utf8')) as { file: string };
		await writeFile(sidecarPath(cache.cacheDir(), 'k1'), JSON.stringify({ ...meta, file: 'k1-gone.vmstate' }));
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('missing') });
		await writeFile(sidecarPath(cache.cacheDir(), 'k1'), '{"format":');
		expect(await lookUpSnapshot(cache.cacheDir(), 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('sidecar') });
	});

	it('refuses to publish an empty state or RAM file', async () => {
		const partial = await createPartialPaths(cache.cacheDir(), 'k1');
		await writeFile(partial.state, '');
		await writeFile(partial.ram, 'x');
		await expect(commitSnapshot(cache.cacheDir(), 'k1', partial, fakeDetails)).rejects.toThrow(/empty state file/);
		await writeFile(partial.state, 'x');
		await writeFile(partial.ram, '');
		await expect(commitSnapshot(cache.cacheDir(), 'k1', partial, fakeDetails)).rejects.toThrow(/empty RAM file/);
	});
});
