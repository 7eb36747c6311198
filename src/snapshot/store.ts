/**
 * The snapshot files in the cache, and how they are checked.
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
 * The sidecar's size and digest catch a file truncated or overwritten later; the digest covers sampled
 * blocks rather than the whole file so that checking it costs milliseconds, not a read of the file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from '../debug.js';
import { ensureDir, writeFileAtomic } from '../cache/dir.js';
import { SNAPSHOT_FORMAT } from './key.js';

const debug = createDebug('snapshot');

export const SNAPSHOTS_SUBDIR = 'snapshots';
const SAMPLE_COUNT = 32;
const SAMPLE_BYTES = 64 * 1024;
/** Files of a save that died are removed by the next save after this long. */
const ORPHAN_AGE_MS = 30 * 60_000;
/** A state file no sidecar names yet may be a racing save about to write its sidecar: spare it this long. */
const UNNAMED_STATE_AGE_MS = 60_000;
/**
 * Every configuration (and every kernel or QEMU upgrade) gets its own ~100 MB snapshot. Keep the most
 * recently used ones, and none unused for a month, so the cache does not grow without bound.
 */
export const MAX_SNAPSHOTS = 8;
const UNUSED_SNAPSHOT_AGE_MS = 30 * 24 * 60 * 60_000;

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

export type SnapshotLookup =
	| { status: 'valid'; file: string; ramFile: string; meta: SnapshotMeta }
	| { status: 'missing' }
	| { status: 'corrupt'; reason: string; meta: SnapshotMeta | undefined };

export function snapshotsDir(cacheDir: string): string {
	return path.join(cacheDir, SNAPSHOTS_SUBDIR);
}

export function sidecarPath(cacheDir: string, key: string): string {
	return path.join(snapshotsDir(cacheDir), `${key}.json`);
}

export function lockPath(cacheDir: string, key: string): string {
	return path.join(snapshotsDir(cacheDir), `${key}.lock`);
}

/** The offsets of the sampled blocks: the first and last block and evenly spaced ones in between. */
export function sampleOffsets(size: number, count = SAMPLE_COUNT, block = SAMPLE_BYTES): number[] {
	if (size <= count * block) return [0];
	const last = size - block;
	return Array.from({ length: count }, (_, index) => Math.round((last * index) / (count - 1)));
}

/** sha256 over the size and the sampled blocks of a file (the whole file when it is small). */
export async function digestSamples(file: string, size: number): Promise<string> {
	const hash = createHash('sha256').update(String(size));
	const handle = await open(file, 'r');
	try {
		const whole = size <= SAMPLE_COUNT * SAMPLE_BYTES;
		const buffer = Buffer.alloc(whole ? size : SAMPLE_BYTES);
		for (const offset of sampleOffsets(size)) {
			const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
			hash.update(buffer.subarray(0, bytesRead));
		}
	} finally {
		await handle.close();
	}
	return hash.digest('hex');
}

function parseMeta(text: string, key: string): SnapshotMeta | undefined {
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

/** Why a saved file does not match what its sidecar recorded, or undefined when it does. */
async function checkFile(file: string, what: string, size: number, sampleSha256: string): Promise<string | undefined> {
	const info = await stat(file).catch(() => undefined);
	if (!info?.isFile()) return `its ${what} file ${path.basename(file)} is missing`;
	if (info.size !== size) return `its ${what} file is ${info.size} bytes, ${size} were saved (truncated?)`;
	if ((await digestSamples(file, info.size)) !== sampleSha256) return `its ${what} file does not match its checksum`;
	return undefined;
}

/** Find the snapshot for `key` and check it against its sidecar. */
export async function lookUpSnapshot(cacheDir: string, key: string): Promise<SnapshotLookup> {
	const text = await readFile(sidecarPath(cacheDir, key), 'utf8').catch(() => undefined);
	if (text === undefined) return { status: 'missing' };
	const meta = parseMeta(text, key);
	if (!meta) return { status: 'corrupt', reason: 'its sidecar file is unreadable', meta: undefined };
	const file = path.join(snapshotsDir(cacheDir), meta.file);
	const ramFile = path.join(snapshotsDir(cacheDir), meta.ramFile);
	const problem =
		(await checkFile(file, 'state', meta.size, meta.sampleSha256)) ?? (await checkFile(ramFile, 'RAM', meta.ramSize, meta.ramSampleSha256));
	if (problem) return { status: 'corrupt', reason: problem, meta };
	return { status: 'valid', file, ramFile, meta };
}

/** The RAM file saved together with a state file (`<key>-<random>.vmstate` → `<key>-<random>.ram`). */
function ramFileOf(stateFile: string): string {
	return stateFile.replace(/\.vmstate$/, '.ram');
}

/**
 * Remove a bad snapshot, but only if the sidecar still names the file found bad: a worker may have
 * replaced it with a good one in the meantime.
 */
export async function removeSnapshot(cacheDir: string, key: string, badFile: string | undefined): Promise<void> {
	const sidecar = sidecarPath(cacheDir, key);
	const text = await readFile(sidecar, 'utf8').catch(() => undefined);
	const current = text === undefined ? undefined : parseMeta(text, key);
	if (current && badFile !== undefined && current.file !== badFile) return;
	debug(`removing snapshot ${key}`);
	await rm(sidecar, { force: true });
	const stateFile = current?.file ?? badFile;
	if (stateFile === undefined) return;
	// Unlinking is safe while VMs run from the files: Linux keeps a mapped or open file until they let go.
	await rm(path.join(snapshotsDir(cacheDir), stateFile), { force: true });
	await rm(path.join(snapshotsDir(cacheDir), current?.ramFile ?? ramFileOf(stateFile)), { force: true });
}

export interface PartialSnapshot {
	/** Where QEMU writes the state (devices and CPU). */
	state: string;
	/** The RAM file the saving VM runs on (a shared mapping), so its RAM is saved as it runs. */
	ram: string;
}

/** Fresh, unique paths to save a snapshot to (the caller commits or removes them). */
export async function createPartialPaths(cacheDir: string, key: string): Promise<PartialSnapshot> {
	await ensureDir(snapshotsDir(cacheDir));
	const base = path.join(snapshotsDir(cacheDir), `${key}-${randomBytes(6).toString('hex')}`);
	return { state: `${base}.partial`, ram: `${base}.ram.partial` };
}

/** Remove the files of a save that did not complete. */
export async function removePartial(partial: PartialSnapshot): Promise<void> {
	await Promise.all([rm(partial.state, { force: true }), rm(partial.ram, { force: true })]);
}

/** Publish completely written files: rename them into place, then write the sidecar naming them. */
export async function commitSnapshot(
	cacheDir: string,
	key: string,
	partial: PartialSnapshot,
	details: Pick<SnapshotMeta, 'qemuVersion' | 'kernel' | 'qemuArgs'>,
): Promise<SnapshotMeta> {
	const [{ size }, { size: ramSize }] = await Promise.all([stat(partial.state), stat(partial.ram)]);
	if (!size) throw new Error('QEMU wrote an empty state file');
	if (!ramSize) throw new Error('the saved VM left an empty RAM file');
	const [sampleSha256, ramSampleSha256] = await Promise.all([digestSamples(partial.state, size), digestSamples(partial.ram, ramSize)]);
	const finalFile = partial.state.replace(/\.partial$/, '.vmstate');
	const finalRam = ramFileOf(finalFile);
	await rename(partial.ram, finalRam);
	await rename(partial.state, finalFile);
	const meta: SnapshotMeta = {
		format: SNAPSHOT_FORMAT,
		key,
		file: path.basename(finalFile),
		size,
		sampleSha256,
		ramFile: path.basename(finalRam),
		ramSize,
		ramSampleSha256,
		createdAt: new Date().toISOString(),
		...details,
	};
	await writeFileAtomic(sidecarPath(cacheDir, key), `${JSON.stringify(meta, null, '\t')}\n`);
	await removeOrphans(cacheDir, key, [meta.file, meta.ramFile]);
	await pruneSnapshots(cacheDir, key).catch((error: unknown) => debug(`pruning old snapshots failed: ${String(error)}`));
	return meta;
}

/** Record that a snapshot was used (its sidecar's mtime), for pruning the least recently used ones. */
export async function markSnapshotUsed(cacheDir: string, key: string): Promise<void> {
	const now = new Date();
	await utimes(sidecarPath(cacheDir, key), now, now).catch(() => {});
}

/** Remove the snapshots of other keys beyond the `max` most recently used, and those unused for a month. */
export async function pruneSnapshots(cacheDir: string, keep: string, options: { max?: number; now?: number } = {}): Promise<void> {
	const max = options.max ?? MAX_SNAPSHOTS;
	const now = options.now ?? Date.now();
	const dir = snapshotsDir(cacheDir);
	const names = await readdir(dir).catch(() => [] as string[]);
	const sidecars = await Promise.all(
		names
			.filter((name) => name.endsWith('.json') && name !== `${keep}.json`)
			.map(async (name) => ({
				key: name.slice(0, -'.json'.length),
				usedAt: (await stat(path.join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0,
			})),
	);
	sidecars.sort((a, b) => b.usedAt - a.usedAt);
	const doomed = sidecars.filter((entry, index) => index >= max - 1 || now - entry.usedAt > UNUSED_SNAPSHOT_AGE_MS);
	for (const { key } of doomed) {
		debug(`pruning the least recently used snapshot ${key}`);
		await removeSnapshot(cacheDir, key, undefined);
	}
}

/** Remove this key's files that no sidecar names: older saves, and saves that died long ago. */
async function removeOrphans(cacheDir: string, key: string, keep: readonly string[]): Promise<void> {
	const dir = snapshotsDir(cacheDir);
	const names = await readdir(dir).catch(() => [] as string[]);
	const now = Date.now();
	await Promise.all(
		names
			.filter((name) => name.startsWith(`${key}-`) && !keep.includes(name) && /\.(?:vmstate|ram|partial)$/.test(name))
			.map(async (name) => {
				const file = path.join(dir, name);
				const info = await stat(file).catch(() => undefined);
				// Replaced files may still be used by a VM restoring from them: Linux keeps an open or mapped file
				// after unlink, and a restore that has not opened them yet falls back to a cold boot.
				const maxAge = name.endsWith('.partial') ? ORPHAN_AGE_MS : UNNAMED_STATE_AGE_MS;
				if (info && now - info.mtimeMs > maxAge) await rm(file, { force: true });
			}),
	);
}
