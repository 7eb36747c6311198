/**
 * The user's cache directory for built artifacts, and atomic writes into it (so parallel test workers
 * never see a half-written file: they write to a private temp name and rename).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** The cache's subdirectory of saved VM snapshots (its files: snapshot/layout.ts); the rest are flat files. */
export const SNAPSHOTS_SUBDIR = 'snapshots';

/**
 * Create `dir` and its missing parents. Not `mkdir({ recursive: true })`: Node's recursive mkdir spins
 * forever on some paths (under /proc, for one); this fails with the reason instead.
 */
export async function ensureDir(dir: string): Promise<string> {
	const missing: string[] = [];
	let current = path.resolve(dir);
	for (;;) {
		const info = await stat(current).catch(() => undefined);
		if (info) {
			if (!info.isDirectory()) {
				throw Object.assign(
					new Error(
						`Cannot create the directory ${dir}: ${current} is not a directory. Set VM_EXEC_CACHE (or the \`cacheDir\` option) to a writable directory.`,
					),
					{ code: 'ENOTDIR' },
				);
			}
			break;
		}
		missing.unshift(current);
		const parent = path.dirname(current);
		if (parent === current) break;
		current = parent;
	}
	for (const part of missing) {
		try {
			await mkdir(part, { mode: 0o700 });
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
			const code = (error as NodeJS.ErrnoException).code;
			throw Object.assign(
				new Error(
					`Cannot create the directory ${dir} (${code ?? String(error)} at ${part}). Set VM_EXEC_CACHE (or the \`cacheDir\` option) to a writable directory.`,
					{ cause: error },
				),
				{ code },
			);
		}
	}
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

/**
 * A file's identity for in-memory memos and cache keys: path, device, inode, size and mtime. A file
 * replaced or rewritten (an upgrade, a rebuilt module) gets a new one. Rejects if the file is missing.
 */
export async function fileIdentity(file: string): Promise<string> {
	const info = await stat(file);
	return `${file}:${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
}
