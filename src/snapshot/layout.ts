/**
 * The snapshot files in the cache: where they are, and the sidecar that names them.
 *
 *   snapshots/<key>.json                 the sidecar, written last (atomically): names the state and RAM
 *                                        files and records their sizes and digests of sampled blocks
 *   snapshots/<key>-<random>.vmstate     the saved devices and CPU (QEMU's migration stream, without RAM)
 *   snapshots/<key>-<random>.ram         the saved guest RAM (a sparse file that restored VMs map
 *                                        copy-on-write, so it is never written once saved)
 *   snapshots/<key>-<random>.partial     a state file being written (`.ram.partial`: a RAM file)
 *   snapshots/<key>.lock                 held while a worker creates the snapshot
 *
 * Files only count once a sidecar names them, so a crash mid-save leaves orphans, never a truncated
 * snapshot. Each save writes a new uniquely named file, so two workers that both save (a lock
 * broken as stale) cannot mix their files: the last sidecar wins and describes exactly its own file.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SNAPSHOTS_SUBDIR } from '../cache/dir.js';
import { SNAPSHOT_FORMAT } from './key.js';

export interface SnapshotMeta {
	format: string;
	key: string;
	/** The state file's name, in the same directory. */
	file: string;
	size: number;
	/** sha256 of the sampled blocks (see `digestSamples`). */
	sampleSha256: string;
	/** The RAM file's name, in the same directory, its size and the sha256 of its sampled blocks. */
	ramFile: string;
	ramSize: number;
	ramSampleSha256: string;
	createdAt: string;
	qemuVersion: string;
	kernel: string;
	/** The normalized QEMU argv the key was computed from, for humans debugging a cache miss. */
	qemuArgs: readonly string[];
}

export function snapshotsDir(cacheDir: string): string {
	return path.join(cacheDir, SNAPSHOTS_SUBDIR);
}

export function sidecarPath(cacheDir: string, key: string): string {
	return path.join(snapshotsDir(cacheDir), `${key}.json`);
}

export function lockPath(cacheDir: string, key: string): string {
	return path.join(snapshotsDir(cacheDir), `${key}.lock`);
}

/** The RAM file saved together with a state file (`<key>-<random>.vmstate` → `<key>-<random>.ram`). */
export function ramFileOf(stateFile: string): string {
	return stateFile.replace(/\.vmstate$/, '.ram');
}

export function parseMeta(text: string, key: string): SnapshotMeta | undefined {
	try {
		const meta = JSON.parse(text) as Partial<SnapshotMeta>;
		if (
			meta.format === SNAPSHOT_FORMAT &&
			meta.key === key &&
			typeof meta.file === 'string' &&
			path.basename(meta.file) === meta.file &&
			typeof meta.size === 'number' &&
			typeof meta.sampleSha256 === 'string' &&
			typeof meta.ramFile === 'string' &&
			path.basename(meta.ramFile) === meta.ramFile &&
			typeof meta.ramSize === 'number' &&
			typeof meta.ramSampleSha256 === 'string'
		) {
			return meta as SnapshotMeta;
		}
	} catch {}
	return undefined;
}

/** The sidecar's text, or undefined when there is none. */
export function readSidecar(cacheDir: string, key: string): Promise<string | undefined> {
	return readFile(sidecarPath(cacheDir, key), 'utf8').catch(() => undefined);
}
