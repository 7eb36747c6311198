/**
 * Fake snapshots in a temporary cache directory, saved the way a real save does (partial files, then
 * commit), for unit tests of the snapshot store and its pruning.
 */
import { randomBytes } from 'node:crypto';
import { open, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { snapshotsDir } from '../../src/snapshot/layout.js';
import { commitSnapshot, createPartialPaths } from '../../src/snapshot/store.js';
import { useTempDir } from './temp-dir.js';

export const fakeDetails = { qemuVersion: '7.2.22', kernel: '/boot/vmlinuz', qemuArgs: ['-m', '256'] };

/**
 * Save a fake snapshot of `key` in `cacheDir`: a state file of `size` random bytes and a sparse RAM file
 * of 16 MiB with some data. Resolves with the state file's path.
 */
export async function saveFakeSnapshot(cacheDir: string, key: string, size = 5 * 1024 * 1024): Promise<string> {
	const partial = await createPartialPaths(cacheDir, key);
	await writeFile(partial.state, randomBytes(size));
	await writeFile(partial.ram, '');
	await truncate(partial.ram, 16 * 1024 * 1024);
	await overwrite(partial.ram, 3 * 1024 * 1024, randomBytes(100_000));
	const meta = await commitSnapshot(cacheDir, key, partial, fakeDetails);
	return path.join(snapshotsDir(cacheDir), meta.file);
}

/** The RAM file saved with a state file. */
export const ramOf = (stateFile: string) => stateFile.replace(/\.vmstate$/, '.ram');

export async function overwrite(file: string, offset: number, bytes: Buffer): Promise<void> {
	const handle = await open(file, 'r+');
	await handle.write(bytes, 0, bytes.length, offset);
	await handle.close();
}

/**
 * A fresh temporary cache directory for each test of the file, removed after it; `saveFake` saves a fake
 * snapshot into it.
 */
export function useFakeSnapshotCache(): { cacheDir(): string; saveFake(key: string, size?: number): Promise<string> } {
	const cacheDir = useTempDir();
	return { cacheDir, saveFake: (key, size) => saveFakeSnapshot(cacheDir(), key, size) };
}
