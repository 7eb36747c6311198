/**
 * The boot strategy with snapshots: start a VM from the saved state of its configuration when there is
 * one, else boot cold and save the state on the way (once, under a lock), so later VMs start from it.
 *
 * The snapshot point is the guest's `ready`: modules loaded, nothing 9p mounted (QEMU refuses to migrate
 * a VM with a mounted 9p share), waiting for `go`. Everything per VM (paths, env, shared dir) reaches the
 * guest after that point, through boot.env in the exchange dir, so one snapshot serves every VM of a
 * configuration. Every failure here (a lock held, a corrupt file, QEMU refusing the file) ends in a cold
 * boot, never in an error the user sees: the snapshot is only an accelerator.
 */
import path, { basename } from 'node:path';
import { createDebug } from '../debug.js';
import { VmBootError } from '../errors.js';
import type { Deadline } from '../lifecycle/deadline.js';
import type { ControlChannel } from '../protocol/control-channel.js';
import { ensureDir, fileIdentity } from '../cache/dir.js';
import type { RunningQemu } from '../qemu/launch.js';
import { buildQemuArgv, type QemuPlan } from '../qemu/argv/qemu-argv.js';
import { computeSnapshotKey, normalizeQemuArgs } from './key.js';
import { snapshotMemoryMiB } from './memory.js';
import { tryAcquireSnapshotLock } from './lock.js';
import { restoreVmState, saveVmState, SnapshotError } from './qmp.js';
import { lockPath, snapshotsDir } from './layout.js';
import { markSnapshotUsed, removeSnapshot } from './prune.js';
import { commitSnapshot, createPartialPaths, lookUpSnapshot, removePartial } from './store.js';

const debug = createDebug('snapshot');

/** A restore takes well under a second; one that takes this long is broken, and a cold boot is faster. */
const RESTORE_TIMEOUT_MS = 15_000;
/** Saving writes a few hundred kB (the RAM is in its file already): well under a second, even on a slow disk. */
const SAVE_TIMEOUT_MS = 30_000;

export interface BootedGuest {
	qemu: RunningQemu;
	control: ControlChannel;
}

export type BootedFrom = 'snapshot' | 'cold';

export interface SnapshotBootInput {
	mode: 'auto' | false;
	cacheDir: string;
	plan: QemuPlan;
	/** Directories whose paths are different for every VM (the workspace); the shared dir is handled here. */
	perVmPaths: readonly string[];
	qemu: { path: string; version: string };
	kernel: { path: string; key: string };
	/**
	 * The start's one deadline and abort signal (`bootTimeout`): a restore, a save and a cold boot after a
	 * failed restore all spend the same budget. `bootCold` and `launchForRestore` wait under it too.
	 */
	deadline: Deadline;
	/** Launch QEMU for a plan and wait until the guest says `ready`. */
	bootCold(plan: QemuPlan): Promise<BootedGuest>;
	/** Launch QEMU for a plan (it has `incoming` set) and wait until it is connected, not for the guest. */
	launchForRestore(plan: QemuPlan): Promise<BootedGuest>;
	/** Told once, before the first (slow) creation of a snapshot. */
	onProgress?: ((message: string) => void) | undefined;
}

async function identityOf(file: string | undefined): Promise<string> {
	if (!file) return '-';
	return fileIdentity(file).catch(() => `${file}:missing`);
}

/**
 * The argv the key is computed from: the shared dir is a plan field, so it is replaced in the plan itself
 * (replacing its text in the argv could also hit an unrelated path that starts the same way).
 */
function keyedArgv(plan: QemuPlan): string[] {
	// Disks count by their number, format, read-only flag and serial, not their paths: the guest has not read
	// them at the snapshot point (no driver yet), so a restored VM sees each file's current content and size.
	const disks = plan.disks?.map((disk, index) => ({ ...disk, path: `<disk-${index}>` }));
	return buildQemuArgv({ ...plan, sharedDir: '<shared-dir>', incoming: undefined, memoryFile: undefined, disks });
}

/**
 * The snapshot cache key of a plan (see key.ts). The cached kernel and initramfs are named after
 * their content, so their paths in the argv cover them; their mtimes must not count (parallel workers
 * building the same file on a fresh cache rename it into place more than once).
 */
export async function snapshotKeyOf(input: Pick<SnapshotBootInput, 'plan' | 'perVmPaths' | 'qemu' | 'kernel'>): Promise<string> {
	const [qemuIdentity, biosIdentity] = await Promise.all([identityOf(input.qemu.path), identityOf(input.plan.bios)]);
	return computeSnapshotKey({
		qemuArgs: keyedArgv(input.plan),
		perVmPaths: input.perVmPaths,
		qemu: { path: input.qemu.path, version: input.qemu.version, identity: qemuIdentity ?? '-' },
		kernelKey: input.kernel.key,
		fileIdentities: [biosIdentity ?? '-'],
	});
}

/** Boot the VM to the snapshot point, from the snapshot when possible. */
export async function bootToSnapshotPoint(input: SnapshotBootInput): Promise<BootedGuest & { bootedFrom: BootedFrom }> {
	if (input.mode === false) return { ...(await input.bootCold(input.plan)), bootedFrom: 'cold' };
	const memoryMiB = snapshotMemoryMiB(input.plan);
	if (memoryMiB === undefined) {
		debug('qemuArgs arrange guest memory themselves: booting cold, without a snapshot');
		return { ...(await input.bootCold(input.plan)), bootedFrom: 'cold' };
	}
	return bootWithSnapshots(input, memoryMiB);
}

async function bootWithSnapshots(input: SnapshotBootInput, memoryMiB: number): Promise<BootedGuest & { bootedFrom: BootedFrom }> {
	const key = await snapshotKeyOf(input);
	const found = await lookUpSnapshot(input.cacheDir, key);
	debug(`key ${key}: ${found.status}`);
	if (found.status === 'valid') {
		const restored = await tryRestore(input, key, found, memoryMiB);
		if (restored.booted) return { ...restored.booted, bootedFrom: 'snapshot' };
		// Only a file QEMU refused is bad. A restore that ran out of time (a busy machine) or whose QEMU did
		// not start says nothing about the file: keep it, and boot cold if there is time left.
		if (!restored.refused) {
			if (input.deadline.expired) {
				if (restored.error instanceof VmBootError) throw restored.error;
				throw new VmBootError(
					`The VM did not finish booting within ${input.deadline.description} (loading its snapshot took all of it). Raise \`bootTimeout\` if the machine is slow or busy.`,
					{ cause: restored.error },
				);
			}
			return { ...(await input.bootCold(input.plan)), bootedFrom: 'cold' };
		}
		await removeSnapshot(input.cacheDir, key, found.meta.file);
	} else if (found.status === 'corrupt') {
		debug(`snapshot ${key} is unusable (${found.reason}): removing it`);
		await removeSnapshot(input.cacheDir, key, found.meta?.file);
	}
	return { ...(await bootColdAndSave(input, key, memoryMiB)), bootedFrom: 'cold' };
}

type RestoreOutcome = { booted: BootedGuest; refused?: never; error?: never } | { booted?: never; refused: boolean; error: unknown };

async function tryRestore(
	input: SnapshotBootInput,
	key: string,
	snapshot: { file: string; ramFile: string },
	memoryMiB: number,
): Promise<RestoreOutcome> {
	const started = performance.now();
	let booted: BootedGuest | undefined;
	try {
		booted = await input.launchForRestore({
			...input.plan,
			incoming: 'defer',
			memoryFile: { path: snapshot.ramFile, shared: false, sizeMiB: memoryMiB },
		});
		const qmp = await booted.qemu.qmp();
		await restoreVmState(qmp, snapshot.file, booted.qemu, {
			timeoutMs: Math.min(input.deadline.remainingMs(), RESTORE_TIMEOUT_MS),
			signal: input.deadline.signal,
		});
		debug(`restored from ${snapshot.file} in ${Math.round(performance.now() - started)} ms`);
		void markSnapshotUsed(input.cacheDir, key);
		return { booted };
	} catch (error) {
		input.deadline.signal?.throwIfAborted();
		debug(`restore from ${snapshot.file} failed, booting cold: ${String(error)}`);
		booted?.control.destroy();
		await booted?.qemu.stop();
		return { refused: error instanceof SnapshotError && !error.timedOut, error };
	}
}

async function bootColdAndSave(input: SnapshotBootInput, key: string, memoryMiB: number): Promise<BootedGuest> {
	const lock = await ensureDir(snapshotsDir(input.cacheDir))
		.then(() => tryAcquireSnapshotLock(lockPath(input.cacheDir, key)))
		.catch((error: unknown) => {
			debug(`cannot take the snapshot lock: ${String(error)}`);
			return undefined;
		});
	if (!lock) return input.bootCold(input.plan);
	try {
		// Another worker may have finished the snapshot between our look-up and taking the lock.
		const found = await lookUpSnapshot(input.cacheDir, key);
		if (found.status === 'valid') {
			const restored = await tryRestore(input, key, found, memoryMiB);
			if (restored.booted) return restored.booted;
		}
		input.onProgress?.('Creating a VM snapshot for this configuration (once; later VMs start from it)…');
		const created = await createSnapshot(input, key, memoryMiB);
		if ('vm' in created) return created.vm;
		// The VM that saved the snapshot is spent (its RAM is the snapshot's): this VM is the snapshot's first.
		const restored = await tryRestore(input, key, created, memoryMiB);
		if (restored.booted) return restored.booted;
		if (restored.refused) await removeSnapshot(input.cacheDir, key, basename(created.file));
		return await input.bootCold(input.plan);
	} finally {
		await lock.release().catch(() => {});
	}
}

/**
 * Boot a VM cold with its RAM in a shared file and save it into the cache. Resolves with the saved
 * files, or with the VM itself when saving failed (it was continued and serves as this start's VM: a
 * failed save only costs the next VM a cold boot).
 */
async function createSnapshot(
	input: SnapshotBootInput,
	key: string,
	memoryMiB: number,
): Promise<{ file: string; ramFile: string } | { vm: BootedGuest }> {
	const started = performance.now();
	const partial = await createPartialPaths(input.cacheDir, key);
	let booted: BootedGuest | undefined;
	try {
		booted = await input.bootCold({ ...input.plan, memoryFile: { path: partial.ram, shared: true, sizeMiB: memoryMiB } });
		await saveVmState(await booted.qemu.qmp(), partial.state, {
			timeoutMs: Math.min(input.deadline.remainingMs(), SAVE_TIMEOUT_MS),
			signal: input.deadline.signal,
		});
	} catch (error) {
		// The VM keeps running on its RAM file after the unlink; Linux frees the file when QEMU exits.
		await removePartial(partial).catch(() => {});
		input.deadline.signal?.throwIfAborted();
		if (!booted) throw error;
		debug(`saving the snapshot failed (the next VM boots cold again): ${String(error)}`);
		if (booted.qemu.hasExited() || (error instanceof SnapshotError && error.vmUnusable)) throw error;
		return { vm: booted };
	}
	booted.control.destroy();
	await booted.qemu.stop();
	const meta = await commitSnapshot(input.cacheDir, key, partial, {
		qemuVersion: input.qemu.version,
		kernel: input.kernel.path,
		qemuArgs: normalizeQemuArgs(keyedArgv(input.plan), input.perVmPaths),
	}).catch(async (error: unknown) => {
		debug(`storing the snapshot failed (the next VM boots cold again): ${String(error)}`);
		await removePartial(partial).catch(() => {});
		return undefined;
	});
	if (!meta) return { vm: await input.bootCold(input.plan) };
	debug(
		`saved snapshot ${key} (${meta.size} bytes of state, ${meta.ramSize} bytes of RAM) in ${Math.round(performance.now() - started)} ms`,
	);
	return { file: path.join(snapshotsDir(input.cacheDir), meta.file), ramFile: path.join(snapshotsDir(input.cacheDir), meta.ramFile) };
}
