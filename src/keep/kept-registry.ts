/**
 * Where kept VMs are listed, for `vm-exec ps`, `attach`, `kill` and `doctor`: one JSON file per kept VM in
 * a private dir of the user's. A record whose keeper is gone is stale and is removed when listed.
 */
import { mkdir, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isProcessAlive } from '../lifecycle/process-alive.js';
import { keptDirFrom } from '../options/environment.js';

export interface KeptVmRecord {
	id: string;
	/** The test whose failure kept it. */
	name: string;
	qemuPid: number;
	keeperPid: number;
	/** Epoch ms. */
	keptAt: number;
	/** Epoch ms: the keeper (and, as a backstop, the watchdog) stops the VM then. */
	deadline: number;
	workspace: string;
	/** The keeper's socket that `vm-exec attach` talks to. */
	attachSocket: string;
}

/** Where kept VMs are registered: `VM_EXEC_KEPT_DIR`, else a directory of this user's in the temp dir. */
export function keptDir(): string {
	return keptDirFrom().dir;
}

export async function ensureKeptDir(): Promise<void> {
	await mkdir(keptDir(), { recursive: true, mode: 0o700 });
}

export async function writeKeptRecord(record: KeptVmRecord): Promise<void> {
	const write = () => writeFile(path.join(keptDir(), `${record.id}.json`), `${JSON.stringify(record)}\n`, { mode: 0o600 });
	await ensureKeptDir();
	// The last record's removal may take the empty dir away in between: make it again once.
	await write().catch(async (error: NodeJS.ErrnoException) => {
		if (error.code !== 'ENOENT') throw error;
		await ensureKeptDir();
		await write();
	});
}

export async function removeKeptRecord(id: string): Promise<void> {
	await rm(path.join(keptDir(), `${id}.json`), { force: true });
	await removeKeptDirIfEmpty();
}

/** With no VM kept, nothing of the registry is left in the temp dir (rmdir refuses a dir that is not empty). */
async function removeKeptDirIfEmpty(): Promise<void> {
	if (!keptDirFrom().explicit) await rmdir(keptDir()).catch(() => {});
}

/** The kept VMs whose keeper runs, oldest first; stale records are removed on the way. */
export async function listKeptVms(): Promise<KeptVmRecord[]> {
	const names = await readdir(keptDir()).catch(() => [] as string[]);
	const records: KeptVmRecord[] = [];
	for (const name of names.filter((entry) => entry.endsWith('.json'))) {
		const record = await readFile(path.join(keptDir(), name), 'utf8')
			.then((text) => JSON.parse(text) as KeptVmRecord)
			.catch(() => undefined);
		if (record && isProcessAlive(record.keeperPid) && isProcessAlive(record.qemuPid)) records.push(record);
		else await rm(path.join(keptDir(), name), { force: true }).catch(() => {});
	}
	if (records.length === 0) await removeKeptDirIfEmpty();
	return records.sort((a, b) => a.keptAt - b.keptAt);
}

export async function findKeptVm(id: string): Promise<KeptVmRecord | undefined> {
	return (await listKeptVms()).find((record) => record.id === id);
}
