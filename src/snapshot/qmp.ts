/**
 * Saving and loading a VM's state over QMP (QEMU's migration to and from a file).
 *
 * QEMU 7.2 has no `file:` migration URI, so the stream goes through `exec:` (QEMU runs the command with
 * /bin/sh): `cat > file` to save, `cat file` to load. The path is single-quoted for that shell.
 */
import { shellQuote } from '../protocol/exec-files.js';
import { delay, withDeadline } from '../lifecycle/wait.js';
import type { QemuExit } from '../qemu/launch.js';
import type { QmpClient } from '../qemu/qmp-client.js';

/** A save or restore that failed; the caller falls back to a cold boot. */
export class SnapshotError extends Error {
	override name = 'SnapshotError';
	/** The VM could not be continued after a save: it is unusable, unlike after any other failure here. */
	vmUnusable = false;
	/** It ran out of time (a busy machine), rather than QEMU refusing the file. */
	timedOut = false;
}

function timeoutError(message: string): SnapshotError {
	const error = new SnapshotError(message);
	error.timedOut = true;
	return error;
}

interface MigrationInfo {
	status?: string;
	'error-desc'?: string;
}

const POLL_MS = 10;
const RESTORE_POLL_MS = 50;
/** QEMU throttles migration to 128 MiB/s by default (32 MiB/s in older versions); a file has no such limit. */
const UNLIMITED_BANDWIDTH = 2 ** 40;

/**
 * Migration capabilities of both ends. `x-ignore-shared` leaves RAM that is a shared file mapping out of
 * the stream: the VM that saves has its RAM in the snapshot's RAM file already, and a restored VM maps
 * that file privately (QEMU allows a private destination for this, the "VM template" use), so the
 * state file holds only the devices and CPU: a few hundred kB to load instead of ~70 MB.
 */
const CAPABILITIES = [
	{ capability: 'events', state: true },
	{ capability: 'x-ignore-shared', state: true },
];

/**
 * Save the state of a running VM whose RAM is a shared file mapping to `file`. The VM is stopped for the
 * save (one consistent pass instead of a live migration chasing dirty pages) and stays stopped once saved:
 * its RAM file is now the snapshot's, so it must never run again. If the save fails it is continued.
 */
export async function saveVmState(
	qmp: QmpClient,
	file: string,
	options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<void> {
	await qmp.execute('migrate-set-capabilities', { capabilities: CAPABILITIES });
	await qmp.execute('migrate-set-parameters', { 'max-bandwidth': UNLIMITED_BANDWIDTH });
	await qmp.execute('stop');
	let finished = false;
	try {
		await qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(file)}` });
		await withDeadline(
			(async () => {
				for (;;) {
					const info = await qmp.execute<MigrationInfo>('query-migrate');
					if (info.status === 'completed') return;
					if (info.status === 'failed' || info.status === 'cancelled') {
						throw new SnapshotError(`QEMU could not save the VM state: ${info['error-desc'] ?? info.status}`);
					}
					await delay(POLL_MS);
				}
			})(),
			{
				ms: options.timeoutMs,
				signal: options.signal,
				onDeadline: () => timeoutError(`Saving the VM state took longer than ${Math.round(options.timeoutMs)} ms`),
			},
		);
		finished = true;
	} finally {
		if (!finished) {
			await cancelMigration(qmp);
			// The save failed: the VM goes on as this test's VM after all.
			await qmp.execute('cont').catch((error: unknown) => {
				const failure = new SnapshotError(`Cannot continue the VM after a failed save: ${String(error)}`, { cause: error });
				failure.vmUnusable = true;
				throw failure;
			});
		}
	}
}

/** Cancel a running save and wait (briefly) until QEMU has stopped it: `cont` is refused until then. */
async function cancelMigration(qmp: QmpClient): Promise<void> {
	await qmp.execute('migrate_cancel').catch(() => {});
	for (let attempt = 0; attempt < 200; attempt++) {
		const info = await qmp.execute<MigrationInfo>('query-migrate').catch(() => ({ status: 'failed' }));
		if (info.status !== 'active' && info.status !== 'setup' && info.status !== 'cancelling' && info.status !== 'device') return;
		await delay(POLL_MS);
	}
}

/**
 * Load `file` into a QEMU started with `-incoming defer` and run the VM. The saved VM was stopped when it
 * was saved, so QEMU leaves the restored one paused too: it is continued here once the state is loaded.
 * If QEMU cannot load the file it exits: that rejects with the reason it printed.
 */
export async function restoreVmState(
	qmp: QmpClient,
	file: string,
	qemu: { exited: Promise<QemuExit>; stderr(): string },
	options: { timeoutMs: number; signal?: AbortSignal | undefined },
): Promise<void> {
	let wake: (() => void) | undefined;
	// With the `events` capability QEMU announces the end of the load with a MIGRATION event (without it,
	// only `setup`): wake up on events, and poll in case one is missed.
	const off = qmp.onEvent((event) => {
		if (event.event === 'MIGRATION') wake?.();
	});
	const loaded = (async () => {
		await qmp.execute('migrate-set-capabilities', { capabilities: CAPABILITIES });
		await qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(file)}` });
		for (;;) {
			const info = await qmp.execute<MigrationInfo>('query-migrate');
			if (info.status === 'completed') break;
			if (info.status === 'failed' || info.status === 'cancelled') {
				throw new SnapshotError(`QEMU could not load the snapshot: ${info['error-desc'] ?? info.status}`);
			}
			await new Promise<void>((resolve) => {
				const timer = setTimeout(resolve, RESTORE_POLL_MS);
				wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
		}
		await qmp.execute('cont');
	})();
	const exited = qemu.exited.then((exit) => {
		const said = qemu.stderr().trim().split('\n').slice(-3).join(' ');
		throw new SnapshotError(`QEMU exited (${exit.signal ?? `code ${exit.exitCode}`}) while loading the snapshot${said ? `: ${said}` : ''}`);
	});
	try {
		await withDeadline(Promise.race([loaded, exited]), {
			ms: options.timeoutMs,
			signal: options.signal,
			onDeadline: () => timeoutError(`Loading the snapshot took longer than ${Math.round(options.timeoutMs)} ms`),
		});
	} catch (error) {
		if (error instanceof SnapshotError || options.signal?.aborted) throw error;
		// QEMU refusing the file usually closes the QMP connection (it exits) just before its exit is seen:
		// report why it exited rather than the closed connection.
		const exitReason = await withDeadline(
			exited.then(
				() => undefined,
				(reason: unknown) => reason,
			),
			{ ms: 1000, onDeadline: () => new Error('still running') },
		).catch(() => undefined);
		throw exitReason instanceof SnapshotError
			? exitReason
			: new SnapshotError(`QEMU could not load the snapshot: ${String(error)}`, { cause: error });
	} finally {
		off();
		loaded.catch(() => {});
	}
}
