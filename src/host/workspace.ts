/**
 * The per-VM private directory (mode 0700): sockets, the exchange directory and an optional shared dir.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { dir } from 'tmp-promise';

export interface Workspace {
	root: string;
	xchgDir: string;
	/** An empty directory, used as the `shared` device when the VM has no shared dir. */
	emptyDir: string;
	consoleSocket: string;
	controlSocket: string;
	qmpSocket: string;
	remove(): Promise<void>;
}

export const WORKSPACE_PREFIX = 'vm-exec-';

/** Unix socket paths are limited to 107 bytes, so the workspace lives in a short temp directory. */
function tempBase(): string {
	const base = os.tmpdir();
	return base.length > 60 ? '/tmp' : base;
}

export async function createWorkspace(): Promise<Workspace> {
	const temp = await dir({ prefix: `${WORKSPACE_PREFIX}${process.pid}-`, tmpdir: tempBase(), unsafeCleanup: true, mode: 0o700 });
	const root = temp.path;
	const xchgDir = path.join(root, 'xchg');
	const emptyDir = path.join(root, 'empty');
	await mkdir(xchgDir, { mode: 0o700 });
	await mkdir(emptyDir, { mode: 0o700 });
	return {
		root,
		xchgDir,
		emptyDir,
		consoleSocket: path.join(root, 'console.sock'),
		controlSocket: path.join(root, 'control.sock'),
		qmpSocket: path.join(root, 'qmp.sock'),
		remove: () => temp.cleanup(),
	};
}
