/**
 * Saving and finding snapshots: fresh partial files to save to, publishing them under a sidecar, and
 * looking one up checked against its sidecar (layout.ts describes the files, digest.ts the check).
 */
import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from '../debug.js';
import { ensureDir, writeFileAtomic } from '../cache/dir.js';
import { checkSavedFile, digestSamples } from './digest.js';
import { SNAPSHOT_FORMAT } from './key.js';
import { parseMeta, ramFileOf, readSidecar, type SnapshotMeta, sidecarPath, snapshotsDir } from './layout.js';
import { pruneSnapshots, removeOrphans } from './prune.js';

const debug = createDebug('snapshot');

export type SnapshotLookup =
	| { status: 'valid'; file: string; ramFile: string; meta: SnapshotMeta }
	| { status: 'missing' }
	| { status: 'corrupt'; reason: string; meta: SnapshotMeta | undefined };

/** Find the snapshot for `key` and check it against its sidecar. */
export async function lookUpSnapshot(cacheDir: string, key: string): Promise<SnapshotLookup> {
	const text = await readSidecar(cacheDir, key);
	if (text === undefined) return { status: 'missing' };
	const meta = parseMeta(text, key);
	if (!meta) return { status: 'corrupt', reason: 'its sidecar file is unreadable', meta: undefined };
	const file = path.join(snapshotsDir(cacheDir), meta.file);
	const ramFile = path.join(snapshotsDir(cacheDir), meta.ramFile);
	const problem =
		(await checkSavedFile(file, 'state', meta.size, meta.sampleSha256)) ??
		(await checkSavedFile(ramFile, 'RAM', meta.ramSize, meta.ramSampleSha256));
	if (problem) return { status: 'corrupt', reason: problem, meta };
	return { status: 'valid', file, ramFile, meta };
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
