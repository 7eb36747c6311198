import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runCacheCommand } from '../../../src/cli/cache-command.js';
import { clearCache, describeCacheUsage, formatBytes, measureCache } from '../../../src/cache/usage.js';
import { useTempDir } from '../../helpers/temp-dir.js';

const tempDir = useTempDir();

/** A cache as vm-exec leaves it, plus a file that is not vm-exec's. */
async function fillCache(): Promise<void> {
	await writeFile(path.join(tempDir(), 'vmlinux-0123456789abcdef0123'), Buffer.alloc(100_000, 1));
	await writeFile(path.join(tempDir(), 'initramfs-0123456789abcdef0123.cpio'), Buffer.alloc(50_000, 1));
	await writeFile(path.join(tempDir(), 'accel-0123456789abcdef0123.json'), '{"accel":"tcg"}');
	await mkdir(path.join(tempDir(), 'snapshots'));
	await writeFile(path.join(tempDir(), 'snapshots', 'k1.json'), '{}');
	await writeFile(path.join(tempDir(), 'snapshots', 'k1-abc.vmstate'), Buffer.alloc(200_000, 1));
	await writeFile(path.join(tempDir(), 'notes.txt'), 'not vm-exec’s');
}

function capture(): { io: { stdout: PassThrough; stderr: PassThrough }; text(): string } {
	const stdout = new PassThrough();
	const chunks: Buffer[] = [];
	stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
	return { io: { stdout, stderr: new PassThrough() }, text: () => Buffer.concat(chunks).toString('utf8') };
}

describe('cache usage', () => {
	it('counts what vm-exec cached, snapshots apart', async () => {
		await fillCache();
		const usage = await measureCache(tempDir());
		expect(usage.snapshots).toBe(1);
		expect(usage.snapshotBytes).toBeGreaterThanOrEqual(200_000);
		expect(usage.totalBytes).toBeGreaterThanOrEqual(350_000);
		expect(describeCacheUsage(usage)).toMatch(new RegExp(`^${tempDir()}: [\\d.]+ kB \\(1 snapshot: [\\d.]+ kB\\)$`));
	});

	it('reports an empty cache when the directory does not exist yet', async () => {
		expect(await measureCache(path.join(tempDir(), 'absent'))).toMatchObject({ totalBytes: 0, snapshots: 0 });
	});

	it('clears only the files vm-exec wrote', async () => {
		await fillCache();
		await clearCache(tempDir());
		expect(await readdir(tempDir())).toEqual(['notes.txt']);
	});

	it('formats sizes for humans', () => {
		expect(formatBytes(999)).toBe('999 B');
		expect(formatBytes(67_500_000)).toBe('67.5 MB');
	});
});

describe('vm-exec cache', () => {
	it('prints the cache directory and its size', async () => {
		await fillCache();
		const out = capture();
		expect(await runCacheCommand([`--cache-dir=${tempDir()}`], out.io)).toBe(0);
		expect(out.text()).toMatch(/\(1 snapshot: /);
	});

	it('empties the cache with --clear', async () => {
		await fillCache();
		const out = capture();
		expect(await runCacheCommand(['--clear', '--cache-dir', tempDir()], out.io)).toBe(0);
		expect(out.text()).toMatch(/^Cleared .*: freed [\d.]+ kB\.\n$/);
		expect((await measureCache(tempDir())).totalBytes).toBe(0);
	});

	it('rejects arguments it does not take', async () => {
		await expect(runCacheCommand(['clear'], capture().io)).rejects.toThrow(/takes no arguments.*--clear/);
	});
});
