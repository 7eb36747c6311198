/**
 * Keeping a failed test's VM: hand it over to a keeper, a small detached Node process of its own that
 * outlives the test runner, serves `vm-exec attach`, and stops the VM at its time limit or on
 * `vm-exec kill`. The VM's control line and QMP connections are passed to it as file descriptors (Node's
 * IPC handle passing), so QEMU never notices the change of hands; this process then lets go of QEMU and
 * the workspace without stopping them. The watchdog started with QEMU (watchdog.ts) is the backstop.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { keptWorkspaceName } from './kept-marker.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VmError } from '../errors.js';
import { vmInternalsOf } from '../vm/internals-registry.js';
import type { KeeperConfig } from './keeper-config.js';
import type { KeptVmRecord } from './kept-registry.js';

/** A keeper answers within milliseconds; this bounds a machine under heavy load. */
const KEEPER_START_TIMEOUT_MS = 30_000;

/** The keeper's entry point: next to this file when built, else (tests run from src) in dist. */
function keeperPath(): string {
	const here = path.dirname(fileURLToPath(import.meta.url));
	const candidates = [path.join(here, 'keeper.js'), path.resolve(here, '../../dist/keep/keeper.js')];
	const found = candidates.find((candidate) => existsSync(candidate));
	if (!found) throw new VmError(`Cannot keep the VM: the keeper (${candidates[0]}) is missing. Run \`npm run build\`.`);
	return found;
}

/** A kept VM's id: short enough to type after `vm-exec attach`. */
export function createKeptId(): string {
	return randomBytes(3).toString('hex');
}

/**
 * Hand `vm` (started with `keep: 'failed'`) over to a keeper; resolves with its record once the keeper
 * serves it. The VM must not be used (or closed) by this process afterwards. `id`: one announced before
 * (a VM shared by several tests is kept when the last of them is done, under the id its failed tests named).
 */
export async function keepVm(vm: object, input: { name: string; id?: string }): Promise<KeptVmRecord> {
	const internals = vmInternalsOf(vm);
	if (!internals?.keep) throw new VmError("Only a VM started with `keep: 'failed'` (or VM_EXEC_KEEP=failed) can be kept.");
	if (internals.qemu.pid === undefined || internals.qemu.hasExited()) throw new VmError('Cannot keep the VM: QEMU is not running.');
	const sockets = await internals.qemu.rawSockets();
	const id = input.id ?? createKeptId();
	// Out of the stale sweep's reach (keptWorkspaceName). QEMU keeps working: its 9p shares hold their root
	// open, its sockets are connected, and a listening socket (gdb) moves with its directory.
	const workspace = path.join(path.dirname(internals.keep.workspace), keptWorkspaceName(id));
	await rename(internals.keep.workspace, workspace);
	const config: KeeperConfig = {
		id,
		name: input.name,
		qemuPid: internals.qemu.pid,
		qemuArgv: internals.qemu.argv,
		xchgDir: path.join(workspace, path.relative(internals.keep.workspace, internals.xchgDir)),
		kernel: internals.kernel,
		accel: internals.accel,
		sharedDir: internals.sharedDir,
		env: internals.env,
		cwd: internals.cwd,
		workspace,
		limitMs: internals.keep.limitMs,
	};
	const log = openSync(path.join(workspace, 'keeper.log'), 'a', 0o600);
	// No execArgv: the runner's own (a test runner's loaders, `-e` scripts) are not the keeper's.
	const child = fork(keeperPath(), [], { detached: true, execArgv: [], stdio: ['ignore', log, log, 'ipc'], serialization: 'json' });
	closeSync(log);
	try {
		const ready = new Promise<KeptVmRecord>((resolve, reject) => {
			const timer = setTimeout(
				() => reject(new VmError('The keeper of the failed test’s VM did not start in time.')),
				KEEPER_START_TIMEOUT_MS,
			);
			child.on('message', (message: { type?: string; record?: KeptVmRecord; error?: string }) => {
				clearTimeout(timer);
				if (message.type === 'ready' && message.record) resolve(message.record);
				else reject(new VmError(`The keeper could not take the VM over: ${message.error ?? 'no reason given'}`));
			});
			child.on('exit', (code) => {
				clearTimeout(timer);
				reject(new VmError(`The keeper exited (${code}) before taking the VM over; see ${config.workspace}/keeper.log.`));
			});
		});
		child.send({ type: 'config', config });
		// Sent, the sockets are closed here (keepOpen is false): from now on only the keeper talks to QEMU.
		child.send({ type: 'control' }, sockets.control);
		child.send({ type: 'qmp' }, sockets.qmp);
		const record = await ready;
		internals.keep.release();
		internals.control.destroy();
		return record;
	} catch (error) {
		child.kill('SIGKILL');
		// The VM stays this process's, to be closed as usual.
		await rename(workspace, internals.keep.workspace).catch(() => {});
		throw error;
	} finally {
		child.removeAllListeners();
		if (child.connected) child.disconnect();
		child.unref();
	}
}
