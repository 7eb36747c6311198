import { mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { markCachedFileUsed, pruneCachedFiles, selectFilesToPrune } from '../../../src/cache/prune.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const HOUR = 60 * 60_000;
const DAY = 24 * HOUR;
const now = Date.UTC(2025, 0, 31);

describe('selectFilesToPrune', () => {
	const entries = (...ages: number[]) => ages.map((age, index) => ({ name: `f${index}`, usedAt: now - age }));

	it('keeps the max most recently used, counting the kept one, whatever the input order', () => {
		const files = [
			{ name: 'old', usedAt: now - 5 * DAY },
			{ name: 'newest', usedAt: now - 2 * HOUR },
			{ name: 'oldest', usedAt: now - 9 * DAY },
			{ name: 'newer', usedAt: now - 3 * HOUR },
		];
		expect(selectFilesToPrune(files, 'kept', { max: 3, now })).toEqual(['old', 'oldest']);
		expect(selectFilesToPrune(files, 'kept', { max: 1, now })).toEqual(['newest', 'newer', 'old', 'oldest']);
		expect(selectFilesToPrune(files, 'kept', { max: 5, now })).toEqual([]);
	});

	it('never removes the kept one, even when it is the oldest', () => {
		expect(selectFilesToPrune(entries(2 * HOUR, 60 * DAY), 'f1', { max: 1, now })).toEqual(['f0']);
		expect(selectFilesToPrune(entries(60 * DAY), 'f0', { max: 0, now })).toEqual([]);
	});

	it('removes files unused longer than the limit even below the max', () => {
		expect(selectFilesToPrune(entries(2 * HOUR, 31 * DAY), 'new', { max: 10, now })).toEqual(['f1']);
		expect(selectFilesToPrune(entries(2 * HOUR, 3 * DAY), 'new', { max: 10, now, maxUnusedMs: 2 * DAY })).toEqual(['f1']);
	});

	it('never removes a file used within the minimum age: a worker may be about to launch QEMU with it', () => {
		expect(selectFilesToPrune(entries(59 * 60_000, 10 * 60_000, 2 * HOUR), 'new', { max: 1, now })).toEqual(['f2']);
		expect(selectFilesToPrune(entries(10 * 60_000, 2 * HOUR), 'new', { max: 1, now, minAgeMs: 0 })).toEqual(['f0', 'f1']);
		// A clock that went backwards makes a file look used in the future: it stays.
		expect(selectFilesToPrune(entries(-DAY), 'new', { max: 1, now })).toEqual([]);
	});
});

describe('pruneCachedFiles', () => {
	const tempDir = useTempDir();

	/** Create `name` in the cache dir, last used `age` ms before now. */
	async function place(name: string, age: number): Promise<void> {
		const file = path.join(tempDir(), name);
		await writeFile(file, name);
		const at = new Date(Date.now() - age);
		await utimes(file, at, at);
	}

	const list = async () => (await readdir(tempDir())).sort();

	it('removes the least recently used and stale initramfs files and leaves everything else alone', async () => {
		await place('initramfs-aaaa.cpio', 0);
		await place('initramfs-bbbb.cpio', 10 * 60_000);
		await place('initramfs-cccc.cpio', 2 * HOUR);
		await place('initramfs-dddd.cpio', 3 * HOUR);
		await place('initramfs-eeee.cpio', 40 * DAY);
		await place('initramfs-ffff.cpio', 4 * HOUR);
		await place('initramfs-ffff.cpio.tmp-123-abcd', 2 * HOUR);
		await place('initramfs-0000.cpio.tmp-456-ef01', 0);
		await place('accel-1234.json', 90 * DAY);
		await place('vmlinux-9999', 90 * DAY);
		await place('notes-aaaa.cpio', 90 * DAY);
		await mkdir(path.join(tempDir(), 'snapshots'));
		await writeFile(path.join(tempDir(), 'snapshots', 'x.json'), '{}');
		const removed = await pruneCachedFiles(tempDir(), { prefix: 'initramfs-', suffix: '.cpio', keep: 'initramfs-aaaa.cpio', max: 3 });
		expect(removed.sort()).toEqual([
			'initramfs-dddd.cpio',
			'initramfs-eeee.cpio',
			'initramfs-ffff.cpio',
			'initramfs-ffff.cpio.tmp-123-abcd',
		]);
		expect(await list()).toEqual([
			'accel-1234.json',
			'initramfs-0000.cpio.tmp-456-ef01',
			'initramfs-aaaa.cpio',
			'initramfs-bbbb.cpio',
			'initramfs-cccc.cpio',
			'notes-aaaa.cpio',
			'snapshots',
			'vmlinux-9999',
		]);
		expect(await readdir(path.join(tempDir(), 'snapshots'))).toEqual(['x.json']);
	});

	it('removes the .none marker with a pruned vmlinux, and leaves markers of kept kernels', async () => {
		await place('vmlinux-aaaa', 0);
		await place('vmlinux-bbbb', 2 * HOUR);
		await place('vmlinux-bbbb.none', 2 * HOUR);
		await place('vmlinux-cccc', 3 * HOUR);
		await place('vmlinux-cccc.none', 3 * HOUR);
		await place('vmlinux-dddd.none', 90 * DAY);
		expect((await pruneCachedFiles(tempDir(), { prefix: 'vmlinux-', keep: 'vmlinux-aaaa', max: 2, companions: ['.none'] })).sort()).toEqual(
			['vmlinux-cccc', 'vmlinux-cccc.none'],
		);
		expect(await list()).toEqual(['vmlinux-aaaa', 'vmlinux-bbbb', 'vmlinux-bbbb.none', 'vmlinux-dddd.none']);
	});

	it('never throws: a missing cache dir prunes nothing', async () => {
		expect(await pruneCachedFiles(path.join(tempDir(), 'missing'), { prefix: 'vmlinux-', keep: 'vmlinux-aaaa', max: 1 })).toEqual([]);
	});

	it('marks a file used by setting its mtime to now, and ignores a missing file', async () => {
		await place('initramfs-aaaa.cpio', 40 * DAY);
		await markCachedFileUsed(path.join(tempDir(), 'initramfs-aaaa.cpio'));
		expect(Date.now() - (await stat(path.join(tempDir(), 'initramfs-aaaa.cpio'))).mtimeMs).toBeLessThan(HOUR);
		await expect(markCachedFileUsed(path.join(tempDir(), 'missing'))).resolves.toBeUndefined();
	});
});
