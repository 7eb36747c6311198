/**
 * The user's cache directory for built artifacts, and atomic writes into it (so parallel test workers
 * never see a half-written file: they write to a private temp name and rename).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export function resolveCacheDir(option?: string): string {
	if (option) return path.resolve(option);
	if (process.env.VM_EXEC_CACHE) return path.resolve(process.env.VM_EXEC_CACHE);
	const xdg = process.env.XDG_CACHE_HOME;
	const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache');
	return path.join(base, 'vm-exec');
}

export async function ensureDir(dir: string): Promise<string> {
	await mkdir(dir, { recursive: true, mode: 0o700 });
	return dir;
}

/** Write `data` to `file` atomically: a unique temp file in the same directory, then rename. */
export async function writeFileAtomic(file: string, data: Uint8Array | string, mode = 0o644): Promise<void> {
	const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
	try {
		await writeFile(temp, data, { mode });
		await rename(temp, file);
	} catch (error) {
		await rm(temp, { force: true });
		throw error;
	}
}

/** A short, stable hash of the given parts, for cache file names. */
export function hashKey(...parts: readonly (string | Uint8Array)[]): string {
	const hash = createHash('sha256');
	for (const part of parts) {
		hash.update(typeof part === 'string' ? part : Buffer.from(part));
		hash.update('\0');
	}
	return hash.digest('hex').slice(0, 20);
}
