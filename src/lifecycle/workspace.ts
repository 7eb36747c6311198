/**
 * The per-VM private directory (mode 0700): sockets, the exchange directory and an optional shared dir.
 */
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { dir } from 'tmp-promise';
import { registerExitCleanup } from './exit-cleanup.js';
import { removeStaleWorkspaces } from './stale-workspaces.js';

/** Where a VM's sockets and directories are inside its workspace. */
export interface WorkspacePaths {
	root: string;
	xchgDir: string;
	/** An empty directory, used as the `shared` device when the VM has no shared dir. */
	emptyDir: string;
	consoleSocket: string;
	controlSocket: string;
	qmpSocket: string;
}

export interface Workspace extends WorkspacePaths {
	remove(): Promise<void>;
	/** Leave the dir to a kept VM's keeper: it is no longer removed when this process exits. */
	release(): void;
}

/** tmp names it `vm-exec-<pid>-<random>`: the pid lets a later run find dirs of dead runs. */
export const WORKSPACE_PREFIX = 'vm-exec';

/** Unix socket paths are limited to 107 bytes, so the workspace lives in a short temp directory. */
function tempBase(): string {
	const base = os.tmpdir();
	return base.length > 60 ? '/tmp' : base;
}

let staleSweep: Promise<unknown> | undefined;

/**
 * A 0700 temp dir named `<prefix>-<pid>-<random>`, removed by `remove()`, or at the latest when the
 * process exits or is killed by a catchable signal; a later run sweeps it if even that did not happen.
 */
export async function createPrivateTempDir(
	prefix: string,
	base = os.tmpdir(),
): Promise<{ path: string; remove(): Promise<void>; release(): void }> {
	// Once per process: remove what runs that were killed (SIGKILL) left behind.
	staleSweep ??= Promise.all([...new Set([tempBase(), os.tmpdir()])].map((dir) => removeStaleWorkspaces(dir))).catch(() => {});
	await staleSweep;
	const temp = await dir({ prefix, tmpdir: base, unsafeCleanup: true, mode: 0o700 });
	const unregister = registerExitCleanup(() => rmSync(temp.path, { recursive: true, force: true }));
	return {
		path: temp.path,
		remove: async () => {
			unregister();
			await temp.cleanup();
		},
		release: () => {
			unregister();
		},
	};
}

/** The layout of the workspace at `root` (pure: creates nothing). */
export function workspacePaths(root: string): WorkspacePaths {
	return {
		root,
		xchgDir: path.join(root, 'xchg'),
		emptyDir: path.join(root, 'empty'),
		consoleSocket: path.join(root, 'console.sock'),
		controlSocket: path.join(root, 'control.sock'),
		qmpSocket: path.join(root, 'qmp.sock'),
	};
}

export async function createWorkspace(): Promise<Workspace> {
	const temp = await createPrivateTempDir(WORKSPACE_PREFIX, tempBase());
	const paths = workspacePaths(temp.path);
	await mkdir(paths.xchgDir, { mode: 0o700 });
	await mkdir(paths.emptyDir, { mode: 0o700 });
	return { ...paths, remove: () => temp.remove(), release: () => temp.release() };
}
