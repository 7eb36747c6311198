/**
 * Where kept VMs are listed, for `vm-exec ps`, `attach`, `kill` and `doctor`: one JSON file per kept VM in
 * a private dir of the user's. A record whose keeper is gone is stale and is removed when listed.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isProcessAlive } from '../lifecycle/process-alive.js';

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

export function keptDir(): string {
	return process.env.VM_EXEC_KEPT_DIR ?? path.join(os.tmpdir(), `vm-exec-kept-${process.getuid?.() ?? 'user'}`);
}

export async function ensureKeptDir(): Promise<void> {
	await mkdir(keptDir(), { recursive: true, mode: 0o700 });
}

export async function writeKeptRecord(record: KeptVmRecord): Promise<void> {
	await ensureKeptDir();
	await writeFile(path.join(keptDir(), `${record.id}.json`), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

export async function removeKeptRecord(id: string): Promise<void> {
	await rm(path.join(keptDir(), `${id}.json`), { force: true });
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
	return records.sort((a, b) => a.keptAt - b.keptAt);
}

export async function findKeptVm(id: string): Promise<KeptVmRecord | undefined> {
	return (await listKeptVms()).find((record) => record.id === id);
}
