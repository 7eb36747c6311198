/**
 * startVm(): options → plan → cached artifacts → QEMU → guest ready. Every acquired resource is
 * registered for undo at once, so a failure at any step leaves nothing behind.
 */
import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from './debug.js';
import { tailOf, VmBootError } from './errors.js';
import { resolveAccel } from './qemu/accel.js';
import { resolveCacheDir } from './cache/dir.js';
import { findBusybox, findQboot, findQemu } from './qemu/host-tools.js';
import { prepareInitramfs } from './boot/initramfs.js';
import { guestCpuModel, hostIsaLevel } from './boot/isa-level.js';
import { findKernel, type KernelInfo } from './boot/kernel.js';
import { launchQemu, type RunningQemu } from './qemu/launch.js';
import type { NetworkPlan } from './network/argv.js';
import { reserveNetwork } from './network/setup.js';
import { startLauncherVm } from './launcher/launcher-vm.js';
import type { QemuPlan } from './qemu/argv.js';
import { bootToSnapshotPoint } from './snapshot/boot.js';
import { describeQemuState } from './qemu/state.js';
import { prepareBootKernel } from './boot/vmlinux.js';
import { createPrivateTempDir, createWorkspace, type Workspace } from './lifecycle/workspace.js';
import { type NormalizedVmOptions, normalizeOptions, type VmOptions } from './options.js';
import type { ControlChannel } from './protocol/control-channel.js';
import { buildBootEnv, isHiddenInGuest } from './protocol/exec-files.js';
import type { GuestMessage } from './protocol/messages.js';
import { ResourceStack } from './lifecycle/resource-stack.js';
import { Vm } from './vm/vm.js';
import { startWatchdog } from './keep/watchdog.js';
import { DeadlineError, withDeadline } from './lifecycle/wait.js';

const debug = createDebug('start');

/** How long a KVM probe may take before KVM is declared unusable (a KVM boot takes well under a second). */
const KVM_PROBE_TIMEOUT_MS = 8000;

interface Artifacts {
	qemuPath: string;
	qemuVersion: string;
	kernel: KernelInfo;
	bootKernel: string;
	kernelKey: string;
	initramfs: string;
	bios: string | undefined;
	/** `-cpu` for a host whose programs need more than x86-64 baseline (see isa-level.ts); else QEMU's default. */
	cpuModel: string | undefined;
	cacheDir: string;
}

async function prepareArtifacts(options: NormalizedVmOptions): Promise<Artifacts> {
	const cacheDir = resolveCacheDir(options.cacheDir);
	const [qemu, busybox, kernel, bios] = await Promise.all([
		assertShell(options.shell).then(() => findQemu(options.qemu)),
		findBusybox(),
		findKernel({ kernel: options.kernel, modules: options.modules }),
		findQboot(),
	]);
	const [boot, initramfs, isaLevel] = await Promise.all([
		prepareBootKernel(kernel.path, cacheDir).catch((error: unknown) => {
			throw new VmBootError(
				`Cannot prepare the kernel ${kernel.path} for booting: ${String(error)}. Check that the cache directory ${cacheDir} is writable (or set VM_EXEC_CACHE).`,
				{ cause: error },
			);
		}),
		prepareInitramfs(
			{
				busybox,
				modulesDir: kernel.modulesDir,
				runnerShell: options.shell,
				shell: guestShellSetting(process.env.VM_EXEC_GUEST_SHELL) ?? options.shell,
			},
			cacheDir,
		),
		hostIsaLevel(options.shell),
	]);
	const cpuModel = guestCpuModel(isaLevel);
	if (cpuModel) debug(`the host's programs need x86-64-v${isaLevel}: the guest CPU is ${cpuModel}`);
	return {
		qemuPath: qemu.path,
		qemuVersion: qemu.version,
		kernel,
		bootKernel: boot.path,
		kernelKey: boot.key,
		initramfs: initramfs.path,
		bios,
		cpuModel,
		cacheDir,
	};
}

/** The `shell` option must name an executable file on the host (the guest sees the host's files). */
async function assertShell(shell: string): Promise<void> {
	await access(shell, constants.X_OK).catch(() => {
		throw new VmBootError(
			`The shell ${shell} (from the \`shell\` option) is not an executable file on the host. Point \`shell\` at one, such as /bin/bash.`,
		);
	});
}

/**
 * `VM_EXEC_GUEST_SHELL`: the host shell the initramfs carries for the guest's runner (default `/bin/sh`),
 * or `none` to carry none (the guest then starts the host's /bin/sh after boot: slower, for debugging).
 */
export function guestShellSetting(value: string | undefined): string | false | undefined {
	if (value === undefined || value === '') return undefined;
	return value === 'none' ? false : value;
}

function bootFailure(message: string, qemu: RunningQemu | undefined, cause?: unknown, exitCode?: number): VmBootError {
	const consoleLog = qemu?.console.text ?? '';
	const qemuStderr = qemu?.stderr() ?? '';
	const details = [
		qemuStderr.trim() ? `\nQEMU said:\n${tailOf(qemuStderr, 2000).trimEnd()}` : '',
		consoleLog.trim() ? `\nConsole tail:\n${tailOf(consoleLog, 2000).trimEnd()}` : '',
	].join('');
	return new VmBootError(message + details, {
		consoleLog: tailOf(consoleLog),
		qemuStderr,
		...(qemu ? { qemuArgv: qemu.argv } : {}),
		...(exitCode === undefined ? {} : { exitCode }),
		cause,
	});
}

/** Wait for a guest message, failing early if QEMU exits or the guest reports an error. */
async function waitForGuest(
	qemu: RunningQemu,
	control: ControlChannel,
	type: 'ready' | 'up',
	deadline: { ms: number; signal: AbortSignal | undefined; what: string },
): Promise<void> {
	const arrived = control.waitFor((message): message is GuestMessage => message.type === type || message.type === 'error');
	const exited = qemu.exited.then((exit) => {
		throw bootFailure(
			`QEMU exited (${exit.signal ?? `code ${exit.exitCode}`}) before the guest was ${type}.`,
			qemu,
			undefined,
			exit.exitCode,
		);
	});
	const message = await withDeadline(Promise.race([arrived, exited]), {
		ms: deadline.ms,
		signal: deadline.signal,
		onDeadline: () => new DeadlineError('the guest did not answer in time'),
	}).catch(async (error: unknown) => {
		if (!(error instanceof DeadlineError)) throw error;
		// Where the guest is stuck, for telling a hang from a slow machine.
		const state = await describeQemuState(() => qemu.qmp());
		throw bootFailure(
			`The VM did not finish booting within ${deadline.what} (the guest never said it was ${type}). Raise \`bootTimeout\` if the machine is slow or busy.${state ? `\n${state}` : ''}`,
			qemu,
		);
	});
	if (message.type === 'error') throw bootFailure(`The guest could not set itself up: ${message.text}.`, qemu);
}

interface BootContext {
	options: NormalizedVmOptions;
	artifacts: Artifacts;
	accel: 'kvm' | 'tcg';
	resources: ResourceStack;
	/** Deadline for reaching `ready` (ms). */
	readyTimeout: number;
	/** The VM's network cards, if any. */
	network?: NetworkPlan;
}

/** The QEMU plan of one VM. */
function planQemu(context: BootContext, workspace: Workspace, sharedDir: string | undefined): QemuPlan {
	const { options, artifacts } = context;
	return {
		kernel: artifacts.bootKernel,
		initramfs: artifacts.initramfs,
		bios: artifacts.bios,
		accel: context.accel,
		cpuModel: artifacts.cpuModel,
		memoryMiB: options.memoryMiB,
		cpus: options.cpus,
		consoleSocket: workspace.consoleSocket,
		controlSocket: workspace.controlSocket,
		qmpSocket: workspace.qmpSocket,
		xchgDir: workspace.xchgDir,
		sharedDir: sharedDir ?? workspace.emptyDir,
		hostRoot: '/',
		// A console someone watches should show the boot messages (later flags win over `quiet loglevel=1`).
		// A debugger needs the kernel where its symbols say (vmlinux booted through PVH skips KASLR anyway,
		// but a bzImage given as `kernel` would not).
		extraKernelFlags: [...(options.console === 'inherit' ? ['loglevel=7'] : []), ...(options.gdb ? ['nokaslr'] : [])],
		...(options.gdb ? { gdbSocket: gdbSocketPath(workspace) } : {}),
		qemuArgs: options.qemuArgs,
		...context.network,
	};
}

/**
 * Launch QEMU for a plan and wait until the guest says `ready`; with `untilReady: false` (a VM about to
 * be restored from a snapshot, whose guest said `ready` before it was saved) only until QEMU is connected.
 */
async function bootToReady(
	context: BootContext,
	plan: QemuPlan,
	untilReady = true,
): Promise<{ qemu: RunningQemu; control: ControlChannel }> {
	const { options, artifacts } = context;
	const keepable = options.keep !== false;
	const qemu = await launchQemu(artifacts.qemuPath, plan, {
		...(options.console === 'inherit' ? { mirrorConsole: process.stderr } : {}),
		keepable,
	});
	context.resources.defer('QEMU', () => qemu.stop());
	if (keepable && qemu.pid !== undefined) startWatchdog({ workspace: path.dirname(plan.xchgDir), qemuPid: qemu.pid });
	const started = performance.now();
	const connected = qemu.control.then((control) => control);
	const exitedEarly = qemu.exited.then((exit) => {
		throw bootFailure(
			`QEMU exited (${exit.signal ?? `code ${exit.exitCode}`}) before the guest started. Check the QEMU arguments (qemuArgs) and the message below.`,
			qemu,
			undefined,
			exit.exitCode,
		);
	});
	const control = await withDeadline(Promise.race([connected, exitedEarly]), {
		ms: context.readyTimeout,
		signal: options.signal,
		onDeadline: () => bootFailure(`QEMU did not start within ${context.readyTimeout} ms.`, qemu),
	});
	if (!untilReady) return { qemu, control };
	await waitForGuest(qemu, control, 'ready', {
		ms: Math.max(1, context.readyTimeout - (performance.now() - started)),
		signal: options.signal,
		what: `${context.readyTimeout} ms`,
	});
	debug(`ready after ${Math.round(performance.now() - started)} ms`);
	return { qemu, control };
}

async function chooseAccel(options: NormalizedVmOptions, artifacts: Artifacts): Promise<'kvm' | 'tcg'> {
	const decision = await resolveAccel(options.accel, {
		cacheDir: artifacts.cacheDir,
		qemuVersion: artifacts.qemuVersion,
		kernelKey: artifacts.kernelKey,
		probe: async () => {
			const resources = new ResourceStack();
			try {
				const workspace = await createWorkspace();
				resources.defer('probe workspace', () => workspace.remove());
				const probe: BootContext = {
					options: { ...options, console: 'capture', qemuArgs: [] },
					artifacts,
					accel: 'kvm',
					resources,
					readyTimeout: KVM_PROBE_TIMEOUT_MS,
				};
				await bootToReady(probe, planQemu(probe, workspace, undefined));
				return true;
			} catch (error) {
				debug(`KVM probe failed: ${String(error)}`);
				return false;
			} finally {
				await resources.dispose().catch(() => {});
			}
		},
	});
	debug(`accel ${decision.accel}: ${decision.reason}`);
	return decision.accel;
}

async function prepareSharedDir(option: string | boolean, resources: ResourceStack): Promise<string | undefined> {
	if (option === false) return undefined;
	if (option === true) {
		const temp = await createPrivateTempDir('vm-exec-shared');
		resources.defer('shared temp dir', () => temp.remove());
		return temp.path;
	}
	const info = await stat(option).catch(() => undefined);
	if (!info?.isDirectory()) {
		throw new TypeError(
			`Expected the \`shared\` option to be an existing host directory, got \`${option}\` (${info ? 'not a directory' : 'it does not exist'}). Create it first, or pass \`shared: true\` for a fresh temporary directory.`,
		);
	}
	return option;
}

/**
 * Boot a VM running the host's kernel, with the host's file system read-only under a throw-away overlay.
 * Close it with `await vm.close()` or `await using vm = await startVm()`.
 */
export async function startVm(options: VmOptions = {}): Promise<Vm> {
	const normalized = normalizeOptions(options);
	normalized.signal?.throwIfAborted();
	if (normalized.launcher) return startLauncherVm({ ...normalized, launcher: normalized.launcher });
	const resources = new ResourceStack();
	try {
		const network = reserveNetwork(normalized, resources);
		const sharedDir = await prepareSharedDir(normalized.shared, resources);
		const artifacts = await prepareArtifacts(normalized);
		const accel = await chooseAccel(normalized, artifacts);
		const workspace = await createWorkspace();
		resources.defer('workspace', () => workspace.remove());
		await network.listen(workspace.root);
		const started = performance.now();
		const timeLeft = () => Math.max(1, normalized.bootTimeout - (performance.now() - started));
		const context: BootContext = {
			options: normalized,
			artifacts,
			accel,
			resources,
			readyTimeout: normalized.bootTimeout,
			network: network.plan(),
		};
		const { qemu, control, bootedFrom } = await bootToSnapshotPoint({
			mode: normalized.snapshot,
			cacheDir: artifacts.cacheDir,
			plan: planQemu(context, workspace, sharedDir),
			perVmPaths: [workspace.root],
			qemu: { path: artifacts.qemuPath, version: artifacts.qemuVersion },
			kernel: { path: artifacts.kernel.path, key: artifacts.kernelKey },
			bootTimeoutMs: normalized.bootTimeout,
			deadline: timeLeft,
			signal: normalized.signal,
			bootCold: (plan) => bootToReady(context, plan),
			launchForRestore: (plan) => bootToReady(context, plan, false),
			onProgress: normalized.onProgress,
		});
		await writeFile(
			path.join(workspace.xchgDir, 'boot.env'),
			buildBootEnv({ ...bootSettings(normalized, artifacts.kernel, sharedDir), network: network.guestSettings() }),
		);
		control.send({ type: 'go' });
		await waitForGuest(qemu, control, 'up', { ms: timeLeft(), signal: normalized.signal, what: `${normalized.bootTimeout} ms` });
		resources.defer('control channel', () => control.destroy());
		return new Vm({
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

function gdbSocketPath(workspace: Workspace): string {
	return path.join(workspace.root, 'gdb.sock');
}

function bootSettings(options: NormalizedVmOptions, kernel: KernelInfo, sharedDir: string | undefined) {
	const defaultModules = [`/lib/modules/${kernel.release}`, `/usr/lib/modules/${kernel.release}`];
	const expose = [options.cwd, kernel.modulesDir].filter(
		(p, index, all) => isHiddenInGuest(p) && all.indexOf(p) === index && !(sharedDir && p === sharedDir),
	);
	return {
		hostname: 'vm-exec',
		shared: sharedDir !== undefined,
		expose,
		modulesDir: defaultModules.includes(kernel.modulesDir) ? undefined : kernel.modulesDir,
	};
}
