/**
 * startVm(): options → artifacts (start/artifacts.ts) → accelerator (start/choose-accel.ts) → plan
 * (start/plan.ts) → QEMU booted or restored to the snapshot point (start/launch-to-ready.ts,
 * snapshot/start-from-snapshot.ts) → the per-VM settings, `go`, and the guest `up`. Each resource's undo is
 * registered on one stack the moment it is acquired, so a failure at any step leaves nothing behind, and
 * `close()` releases them all. The whole start runs under one deadline (`bootTimeout`, lifecycle/deadline.ts).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ResourceStack } from './lifecycle/resource-stack.js';
import { prepareSharedDir } from './lifecycle/shared-dir.js';
import { createWorkspace } from './lifecycle/workspace.js';
import { startLauncherVm } from './launcher/launcher-vm.js';
import { reserveNetwork } from './network/setup.js';
import { Deadline } from './lifecycle/deadline.js';
import { type NormalizedVmOptions, normalizeOptions, type VmOptions } from './options.js';
import type { LaunchPriority } from './qemu/launch-priority.js';
import { buildBootEnv } from './protocol/exec-files.js';
import { bootToSnapshotPoint } from './snapshot/start-from-snapshot.js';
import { prepareArtifacts } from './start/artifacts.js';
import { chooseAccel } from './start/choose-accel.js';
import { type BootContext, gdbSocketPath, planGuestSettings, planQemu } from './start/plan.js';
import { bootToReady, waitForGuest } from './start/launch-to-ready.js';
import { QemuVm } from './vm/qemu-vm.js';
import type { Vm } from './vm/vm.js';
import { guestDiskName } from './disks/options.js';
import { diskLockError, prepareDisks } from './disks/prepare.js';
import { VmBootError } from './errors.js';

/**
 * Boot a VM running the host's kernel, with the host's file system read-only under a throw-away overlay.
 * Close it with `await vm.close()` or `await using vm = await startVm()`.
 */
export async function startVm(options: VmOptions = {}): Promise<Vm> {
	return startNormalizedVm(normalizeOptions(options));
}

/** What a start is given besides its options: only the warm pool gives anything (src/pool/start-ahead.ts). */
export interface StartSettings {
	/** Launch QEMU at low CPU priority until a test takes the VM (a VM started ahead). */
	launchPriority?: LaunchPriority | undefined;
}

/**
 * `startVm()` for options the gate has normalized already (the warm pool, which normalized them to key its
 * VMs): each VM's options are normalized, and the environment read, once.
 * @internal
 */
export async function startNormalizedVm(normalized: NormalizedVmOptions, settings: StartSettings = {}): Promise<Vm> {
	// `bootTimeout` covers the whole start, from here: the boot files, the accelerator, a restore, a cold boot.
	const deadline = new Deadline(normalized.bootTimeout, normalized.signal);
	normalized.signal?.throwIfAborted();
	if (normalized.launcher) return startLauncherVm({ ...normalized, launcher: normalized.launcher });
	const resources = new ResourceStack();
	try {
		const network = reserveNetwork(normalized, resources);
		const sharedDir = await prepareSharedDir(normalized.shared, resources);
		const disks = await prepareDisks(normalized.disks, guestDiskName);
		const artifacts = await prepareArtifacts(normalized);
		const accel = await chooseAccel(normalized, artifacts);
		const workspace = await createWorkspace();
		resources.defer('workspace', () => workspace.remove());
		await network.listen(workspace.root);
		const context: BootContext = {
			options: normalized,
			artifacts,
			accel,
			resources,
			deadline,
			launchPriority: settings.launchPriority,
			network: network.plan(),
			disks,
		};
		// bootToReady registers QEMU's stop on `resources` as soon as QEMU runs.
		const { qemu, control, bootedFrom } = await bootToSnapshotPoint({
			mode: normalized.snapshot,
			cacheDir: artifacts.cacheDir,
			plan: planQemu(context, workspace, sharedDir),
			perVmPaths: [workspace.root],
			qemu: { path: artifacts.qemuPath, version: artifacts.qemuVersion },
			kernel: { path: artifacts.kernel.path, key: artifacts.kernelKey },
			deadline,
			bootCold: (plan) => bootToReady(context, plan),
			launchForRestore: (plan) => bootToReady(context, plan, false),
			onProgress: normalized.onProgress,
		}).catch((error: unknown) => {
			// QEMU refusing an image another VM writes: say so, rather than "QEMU exited".
			throw (error instanceof VmBootError && diskLockError(error.qemuStderr, disks, error)) || error;
		});
		resources.defer('control channel', () => control.destroy());
		await writeFile(
			path.join(workspace.xchgDir, 'boot.env'),
			buildBootEnv({ ...planGuestSettings(normalized, artifacts.kernel, sharedDir), network: network.guestSettings() }),
		);
		control.send({ type: 'go' });
		await waitForGuest(qemu, control, 'up', deadline);
		return new QemuVm({
			qemu,
			control,
			xchgDir: workspace.xchgDir,
			kernel: artifacts.kernel,
			accel,
			sharedDir,
			env: { SHELL: normalized.shell, ...normalized.env },
			cwd: normalized.cwd,
			resources,
			network,
			bootedFrom,
			disks,
			liveness: normalized.liveness,
			kernelReports: normalized.kernelReports,
			...(normalized.gdb ? { gdbSocket: gdbSocketPath(workspace) } : {}),
			...(normalized.keep === false
				? {}
				: {
						keep: {
							limitMs: normalized.keepLimit,
							workspace: workspace.root,
							release: () => {
								qemu.release();
								workspace.release();
							},
						},
					}),
		});
	} catch (error) {
		await resources.dispose().catch(() => {});
		throw error;
	}
}
