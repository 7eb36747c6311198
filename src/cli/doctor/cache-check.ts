/**
 * The doctor's cache check: the cache directory is writable, and how much it holds.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ensureDir, writeFileAtomic } from '../../cache/dir.js';
import { resolveCacheDir } from '../../options/environment.js';
import { formatBytes, measureCache } from '../../cache/usage.js';
import { type DoctorCheck, type DoctorOptions, messageOf } from './check.js';

export async function checkCacheDir(options: DoctorOptions): Promise<DoctorCheck> {
	const dir = resolveCacheDir(options.cacheDir);
	const probe = path.join(dir, `.doctor-${process.pid}`);
	try {
		await ensureDir(dir);
		await writeFileAtomic(probe, 'ok');
		await rm(probe, { force: true });
		const usage = await measureCache(dir);
		return {
			name: 'cache dir',
			status: 'ok',
			detail: `${dir} is writable; ${formatBytes(usage.totalBytes)} cached (${usage.snapshots} snapshots: ${formatBytes(usage.snapshotBytes)}), \`vm-exec cache --clear\` empties it`,
		};
	} catch (error) {
		return {
			name: 'cache dir',
			status: 'fail',
			detail: `${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? messageOf(error)})`,
			fix: 'set VM_EXEC_CACHE (or XDG_CACHE_HOME) to a writable directory',
		};
	}
}
