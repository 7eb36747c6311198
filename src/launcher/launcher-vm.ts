/**
 * A VM driven by an external launcher with the seed's interface (the NixOS module's `vmExec`, or this
 * project's own CLI) instead of a QEMU process of our own: each `exec` is one launcher run that boots,
 * runs the script and powers off; its output and exit status become the result.
 */
import { constants as osConstants } from 'node:os';
import { execa, type ResultPromise } from 'execa';
import { createDebug } from '../debug.js';
import { VmBootError, VmClosedError, VmCrashedError, VmError } from '../errors.js';
import type { ExecResult } from '../vm/exec-result.js';
import { BaseVm } from '../vm/base-vm.js';
import type { Vm } from '../vm/vm.js';
import { NO_KERNEL_LOG } from '../kernel-log/kernel-verdict.js';
import { findOnPath } from '../qemu/host-tools.js';
import type { NormalizedExecOptions, NormalizedVmOptions } from '../options.js';
import { ResourceStack } from '../lifecycle/resource-stack.js';
import { prepareSharedDir } from '../lifecycle/shared-dir.js';
import { buildLauncherArgv } from './launcher-argv.js';

const debug = createDebug('launcher');

/** How long a launcher may take to exit after SIGTERM (it has a VM to tear down) before it is killed. */
const LAUNCHER_KILL_GRACE_MS = 5000;

function exitCodeOf(result: { exitCode?: number | undefined; signal?: string | undefined }): number | undefined {
	if (result.exitCode !== undefined) return result.exitCode;
	const number = result.signal ? osConstants.signals[result.signal as keyof typeof osConstants.signals] : undefined;
	return number === undefined ? undefined : 128 + number;
}

/** The launcher chooses the accelerator and does not report it. */
function unknownAccel(): never {
	throw new VmError(
		'vm.accel is not known for a VM started by a launcher: the launcher chooses the accelerator. Run `uname -a` or read /proc/cpuinfo in the guest if you need to know.',
	);
}

/** The launcher chooses the kernel and does not report it. */
function unknownKernel(): never {
	throw new VmError(
		'vm.kernel is not known for a VM started by a launcher: the launcher chooses the kernel. Run `uname -r` in the guest if you need its release.',
	);
}

export class LauncherVm extends BaseVm {
	readonly #options: NormalizedVmOptions & { launcher: string[] };
	readonly #resources: ResourceStack;
	readonly #running = new Set<ResultPromise>();

	/** @internal Use `startVm({ launcher })`. */
	constructor(options: NormalizedVmOptions & { launcher: string[] }, sharedDir: string | undefined, resources: ResourceStack) {
		super({
			// The launcher command line (without the per-exec flags and script).
			qemuArgv: options.launcher,
			get accel() {
				return unknownAccel();
			},
			sharedDir,
			get kernel() {
				return unknownKernel();
			},
			// There is no long-running process: each exec is a launcher process of its own.
			pid: undefined,
			// A launcher boots its own VM for every exec: never from a vm-exec snapshot.
			bootedFrom: 'cold',
			// Not on a vm-exec LAN (`lan` cannot be combined with `launcher`), and no `disks` (pass QEMU's `-drive` in `qemuArgs`).
			lanAddress: undefined,
			disks: [],
			// Launchers print their console into the script's output (with `console: 'inherit'`), so there is none to keep.
			consoleLog: '',
			gdb: undefined,
			// The launcher's VM is not ours: its kernel log never reaches this process.
			kernelLog: NO_KERNEL_LOG,
		});
		this.#options = options;
		this.#resources = resources;
	}

	/** Each exec is a VM of its own that is gone when the exec ends: there is nothing to forward to. */
	async forwardPort(): Promise<number> {
		throw new VmError(
			'forwardPort() is not available with `launcher`: each exec boots a VM of its own that is gone when it ends. Start the VM without `launcher` (and with `network: true`).',
			{ qemuArgv: this.qemuArgv },
		);
	}

	/** Run a script as one launcher run; resolves with its output and exit status whatever the status. */
	protected async runExec(script: string, options: NormalizedExecOptions): Promise<ExecResult<string | Buffer>> {
		if (options.user !== undefined) {
			throw new VmError('The `user` exec option is not supported with a launcher VM: run `setpriv` or `su` in the script instead.', {
				qemuArgv: this.qemuArgv,
			});
		}
		const started = performance.now();
		const decode = (data: Buffer) => (options.encoding === 'buffer' ? data : data.toString('utf8'));
		const [command, args] = buildLauncherArgv({
			launcher: this.#options.launcher,
			script,
			env: { ...this.#options.env, ...options.env },
			cwd: options.cwd,
			sharedDir: this.sharedDir,
			showBootConsole: this.#options.console === 'inherit',
			qemuArgs: this.#options.qemuArgs,
		});
		debug(`run: ${JSON.stringify([command, ...args])}`);
		const child = execa(command, args, {
			cwd: this.#options.cwd,
			...(options.input ? { input: options.input } : { stdin: 'ignore' as const }),
			encoding: 'buffer',
			stripFinalNewline: false,
			reject: false,
			...(options.timeout > 0 ? { timeout: options.timeout } : {}),
			...(options.signal ? { cancelSignal: options.signal } : {}),
			forceKillAfterDelay: LAUNCHER_KILL_GRACE_MS,
			maxBuffer: Number.POSITIVE_INFINITY,
		});
		if (options.onStdout) child.stdout?.on('data', options.onStdout);
		if (options.onStderr) child.stderr?.on('data', options.onStderr);
		this.#running.add(child);
		let result: Awaited<typeof child>;
		try {
			result = await child;
		} finally {
			this.#running.delete(child);
		}
		if (this.isClosing)
			throw new VmClosedError('The VM was closed while this command was running (its launcher was stopped).', { qemuArgv: this.qemuArgv });
		const exitCode = exitCodeOf(result);
		if (exitCode === undefined && !result.timedOut && !result.isCanceled) {
			throw new VmCrashedError(
				`The launcher \`${command}\` could not be run: ${result.originalMessage ?? result.shortMessage}. Check the \`launcher\` option.`,
				{
					qemuArgv: this.qemuArgv,
					cause: result.cause,
				},
			);
		}
		return {
			script,
			stdout: decode(Buffer.from(result.stdout ?? [])),
			stderr: decode(Buffer.from(result.stderr ?? [])),
			exitCode,
			durationMs: performance.now() - started,
			timedOut: result.timedOut,
			isCanceled: result.isCanceled,
		};
	}

	/** Stop running launchers (SIGTERM, then SIGKILL) and remove the temporary shared dir. */
	protected async shutDown(): Promise<void> {
		const running = [...this.#running];
		for (const child of running) child.kill('SIGTERM');
		await Promise.allSettled(running);
		await this.#resources.dispose();
	}
}

/**
 * `startVm({ launcher })`: check that the launcher exists and prepare the shared dir; nothing boots
 * until the first exec.
 */
export async function startLauncherVm(options: NormalizedVmOptions & { launcher: string[] }): Promise<Vm> {
	const command = options.launcher[0]!;
	if (!(await findOnPath(command))) {
		throw new VmBootError(
			`The launcher \`${command}\` was not found${command.includes('/') ? ' or is not executable' : ' on PATH'}. Pass the launcher's path, e.g. launcher: ['./result/bin/run-…-vm-exec'] (a Nix build of …config.system.build.vmExec).`,
		);
	}
	const resources = new ResourceStack();
	const sharedDir = await prepareSharedDir(options.shared, resources);
	return new LauncherVm(options, sharedDir, resources);
}
