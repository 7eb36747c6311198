import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dir } from 'tmp-promise';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	commitSnapshot,
	createPartialPaths,
	lookUpSnapshot,
	pruneSnapshots,
	removeSnapshot,
	sampleOffsets,
	sidecarPath,
	snapshotsDir,
} from '../../../src/snapshot/store.js';

let temp: { path: string; cleanup(): Promise<void> };
beforeEach(async () => {
	temp = await dir({ unsafeCleanup: true });
});
afterEach(async () => {
	await temp.cleanup();
});

const details = { qemuVersion: '7.2.22', kernel: '/boot/vmlinuz', qemuArgs: ['-m', '256'] };

/**
 * Save a fake snapshot the way a real save does (partial files, then commit): a state file of `size`
 * random bytes and a sparse RAM file of 16 MiB with some data. Resolves with the state file's path.
 */
async function saveFake(key: string, size = 5 * 1024 * 1024): Promise<string> {
	const partial = await createPartialPaths(temp.path, key);
	await writeFile(partial.state, randomBytes(size));
	await writeFile(partial.ram, '');
	await truncate(partial.ram, 16 * 1024 * 1024);
	await overwrite(partial.ram, 3 * 1024 * 1024, randomBytes(100_000));
	const meta = await commitSnapshot(temp.path, key, partial, details);
	return path.join(snapshotsDir(temp.path), meta.file);
}

const ramOf = (stateFile: string) => stateFile.replace(/\.vmstate$/, '.ram');

async function overwrite(file: string, offset: number, bytes: Buffer): Promise<void> {
	const handle = await open(file, 'r+');
	await handle.write(bytes, 0, bytes.length, offset);
	await handle.close();
}

describe('sampleOffsets', () => {
	it('reads a small file whole', () => {
		expect(sampleOffsets(1000)).toEqual([0]);
	});
	it('samples the first block, the last block and evenly spaced ones between', () => {
		const offsets = sampleOffsets(100 * 1024 * 1024, 4, 1024);
		expect(offsets).toEqual([
			0,
			Math.round((100 * 1024 * 1024 - 1024) / 3),
			Math.round((2 * (100 * 1024 * 1024 - 1024)) / 3),
			100 * 1024 * 1024 - 1024,
		]);
	});
});

describe('snapshot store', () => {
	it('finds nothing before a save, and the saved file after it', async () => {
		expect(await lookUpSnapshot(temp.path, 'k1')).toEqual({ status: 'missing' });
		const file = await saveFake('k1');
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({
			status: 'valid',
			file,
			ramFile: ramOf(file),
			meta: { key: 'k1', size: 5 * 1024 * 1024, ramSize: 16 * 1024 * 1024 },
		});
	});

	it('reports a truncated or overwritten RAM file as corrupt', async () => {
		const file = await saveFake('k1');
		await overwrite(ramOf(file), 0, Buffer.from('garbage'));
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({
			status: 'corrupt',
			reason: expect.stringMatching(/RAM file does not match its checksum/),
		});
		await truncate(ramOf(file), 1024);
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({
			status: 'corrupt',
			reason: expect.stringMatching(/RAM file is 1024 bytes.*truncated/),
		});
	});

	it('reports a truncated state file as corrupt', async () => {
		const file = await saveFake('k1');
		await truncate(file, 1024 * 1024);
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('truncated') });
	});

	it('reports a state file overwritten in place as corrupt', async () => {
		const file = await saveFake('k1');
		await overwrite(file, 0, Buffer.from('garbage'));
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('checksum') });
	});

	it('reports a missing state file and an unreadable sidecar as corrupt', async () => {
		await saveFake('k1');
		const meta = JSON.parse(await readFile(sidecarPath(temp.path, 'k1'), 'utf8')) as { file: string };
		await writeFile(sidecarPath(temp.path, 'k1'), JSON.stringify({ ...meta, file: 'k1-gone.vmstate' }));
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('missing') });
		await writeFile(sidecarPath(temp.path, 'k1'), '{"format":');
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({ status: 'corrupt', reason: expect.stringContaining('sidecar') });
	});

	it('removes a bad snapshot with its state and RAM files', async () => {
		const file = await saveFake('k1');
		await removeSnapshot(temp.path, 'k1', path.basename(file));
		expect(await lookUpSnapshot(temp.path, 'k1')).toEqual({ status: 'missing' });
		expect(await readdir(snapshotsDir(temp.path))).toEqual([]);
	});

	it('keeps a snapshot that another worker saved after the bad one was found', async () => {
		const bad = await saveFake('k1');
		const good = await saveFake('k1');
		await removeSnapshot(temp.path, 'k1', path.basename(bad));
		expect(await lookUpSnapshot(temp.path, 'k1')).toMatchObject({ status: 'valid', file: good });
	});

	it('keeps snapshots of other keys apart', async () => {
		await saveFake('k1');
		await saveFake('k2');
		await removeSnapshot(temp.path, 'k1', undefined);
		expect((await lookUpSnapshot(temp.path, 'k1')).status).toBe('missing');
		expect((await lookUpSnapshot(temp.path, 'k2')).status).toBe('valid');
	});

	it('refuses to publish an empty state or RAM file', async () => {
		const partial = await createPartialPaths(temp.path, 'k1');
		await writeFile(partial.state, '');
		await writeFile(partial.ram, 'x');
		await expect(commitSnapshot(temp.path, 'k1', partial, details)).rejects.toThrow(/empty state file/);
		await writeFile(partial.state, 'x');
		await writeFile(partial.ram, '');
		await expect(commitSnapshot(temp.path, 'k1', partial, details)).rejects.toThrow(/empty RAM file/);
	});
});

describe('pruning', () => {
	it('keeps the most recently used snapshots and removes the others', async () => {
		for (const key of ['a', 'b', 'c', 'd']) await saveFake(key, 1000);
		// Make a the oldest and b the most recently used.
		const { utimes } = await import('node:fs/promises');
		const at = (seconds: number) => new Date(Date.now() - seconds * 1000);
		await utimes(sidecarPath(temp.path, 'a'), at(400), at(400));
		await utimes(sidecarPath(temp.path, 'b'), at(10), at(10));
		await utimes(sidecarPath(temp.path, 'c'), at(300), at(300));
		await pruneSnapshots(temp.path, 'd', { max: 2 });
		const statuses = await Promise.all(['a', 'b', 'c', 'd'].map(async (key) => (await lookUpSnapshot(temp.path, key)).status));
		expect(statuses).toEqual(['missing', 'valid', 'missing', 'valid']);
		expect((await readdir(snapshotsDir(temp.path))).sort()).toEqual(expect.arrayContaining(['b.json', 'd.json']));
		expect(await readdir(snapshotsDir(temp.path))).toHaveLength(6);
	});

	it('removes snapshots unused for a month even below the limit', async () => {
		await saveFake('old', 1000);
		await saveFake('new', 1000);
		await pruneSnapshots(temp.path, 'new', { now: Date.now() + 31 * 24 * 60 * 60_000 });
		expect((await lookUpSnapshot(temp.path, 'old')).status).toBe('missing');
		expect((await lookUpSnapshot(temp.path, 'new')).status).toBe('valid');
	});
});
