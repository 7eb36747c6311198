/**
 * A VM driven by an external launcher with the seed's interface (the NixOS module's `vmExec`, or this
 * project's own CLI) instead of a QEMU process of our own: each `exec` is one launcher run that boots,
 * runs the script and powers off; its output and exit status become the result.
 */
import { stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { dir as tempDir } from 'tmp-promise';
import { execa, type ResultPromise } from 'execa';
import { fileCheck, portCheck, waitUntil, type WaitForPortOptions, type WaitOptions } from '../vm/wait-until.js';
import { createDebug } from '../debug.js';
import { VmBootError, VmClosedError, VmCrashedError, VmError } from '../errors.js';
import { type ExecResult, expectOutcome } from '../vm/exec-result.js';
import { findOnPath } from '../qemu/host-tools.js';
import type { KernelInfo } from '../boot/kernel.js';
import { type ExecOptions, type NormalizedVmOptions, normalizeExecOptions, validateScript } from '../options.js';
import { ResourceStack } from '../lifecycle/resource-stack.js';
import type { Vm } from '../vm/vm.js';
import { buildLauncherArgv } from './launcher-argv.js';

const debug = createDebug('launcher');

/** How long a launcher may take to exit after SIGTERM (it has a VM to tear down) before it is killed. */
const LAUNCHER_KILL_GRACE_MS = 5000;

type Output<Encoding> = Encoding extends 'buffer' ? Buffer : string;

/**
 * Every public member of `Vm`, so a `LauncherVm` can stand in for one: when `Vm` gains a member, this
 * file stops compiling until the launcher says what the member means here.
 */
type PublicVm = Pick<Vm, keyof Vm>;

function exitCodeOf(result: { exitCode?: number | undefined; signal?: string | undefined }): number | undefined {
	if (result.exitCode !== undefined) return result.exitCode;
	const number = result.signal ? osConstants.signals[result.signal as keyof typeof osConstants.signals] : undefined;
	return number === undefined ? undefined : 128 + number;
}

export class LauncherVm implements PublicVm {
	/** The launcher command line (without the per-exec flags and script). */
	readonly qemuArgv: readonly string[];
	readonly sharedDir: string | undefined;
	/** There is no long-running process: each exec is a launcher process of its own. */
	readonly pid: undefined = undefined;
	/** A launcher VM is not on a vm-exec LAN (`lan` cannot be combined with `launcher`). */
	readonly lanAddress: undefined = undefined;
	/** `gdb` cannot be combined with `launcher`. */
	readonly gdb: undefined = undefined;
	/** A launcher boots its own VM for every exec: never from a vm-exec snapshot. */
	readonly bootedFrom = 'cold' as const;

	readonly #options: NormalizedVmOptions & { launcher: string[] };
	readonly #resources: ResourceStack;
	readonly #running = new Set<ResultPromise>();
	#closing: Promise<void> | undefined;

	/** @internal Use `startVm({ launcher })`. */
	constructor(options: NormalizedVmOptions & { launcher: string[] }, sharedDir: string | undefined, resources: ResourceStack) {
		this.#options = options;
		this.qemuArgv = options.launcher;
		this.sharedDir = sharedDir;
		this.#resources = resources;
	}

	/** The launcher chooses the accelerator and does not report it. */
	get accel(): 'kvm' | 'tcg' {
		throw new VmError(
			'vm.accel is not known for a VM started by a launcher: the launcher chooses the accelerator. Run `uname -a` or read /proc/cpuinfo in the guest if you need to know.',
		);
	}

	/** The launcher chooses the kernel and does not report it. */
	get kernel(): Readonly<KernelInfo> {
		throw new VmError(
			'vm.kernel is not known for a VM started by a launcher: the launcher chooses the kernel. Run `uname -r` in the guest if you need its release.',
		);
	}

	/** Launchers print their console into the script's output (with `console: 'inherit'`), so there is none to keep. */
	get consoleLog(): string {
		return '';
	}

	get closed(): boolean {
		return this.#closing !== undefined;
	}

	/** Run a script as one launcher run; resolves with its output and exit status whatever the status. */
	exec(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	exec(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	exec<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<Output<Encoding>>>;
	async exec(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		validateScript(script);
		const normalized = normalizeExecOptions(options);
		if (normalized.user !== undefined) {
			throw new VmError('The `user` exec option is not supported with a launcher VM: run `setpriv` or `su` in the script instead.', {
				qemuArgv: this.qemuArgv,
			});
		}
		this.#assertOpen();
		const started = performance.now();
		const decode = (data: Buffer) => (normalized.encoding === 'buffer' ? data : data.toString('utf8'));
		if (normalized.signal?.aborted) {
			return {
				script,
				stdout: decode(Buffer.alloc(0)),
				stderr: decode(Buffer.alloc(0)),
				exitCode: undefined,
				durationMs: 0,
				timedOut: false,
				isCanceled: true,
			};
		}
		const [command, args] = buildLauncherArgv({
			launcher: this.#options.launcher,
			script,
			env: { ...this.#options.env, ...normalized.env },
			cwd: normalized.cwd,
			sharedDir: this.sharedDir,
			showBootConsole: this.#options.console === 'inherit',
			qemuArgs: this.#options.qemuArgs,
		});
		debug(`run: ${JSON.stringify([command, ...args])}`);
		const child = execa(command, args, {
			cwd: this.#options.cwd,
			...(normalized.input ? { input: normalized.input } : { stdin: 'ignore' as const }),
			encoding: 'buffer',
			stripFinalNewline: false,
			reject: false,
			...(normalized.timeout > 0 ? { timeout: normalized.timeout } : {}),
			...(normalized.signal ? { cancelSignal: normalized.signal } : {}),
			forceKillAfterDelay: LAUNCHER_KILL_GRACE_MS,
			maxBuffer: Number.POSITIVE_INFINITY,
		});
		if (normalized.onStdout) child.stdout?.on('data', normalized.onStdout);
		if (normalized.onStderr) child.stderr?.on('data', normalized.onStderr);
		this.#running.add(child);
		let result: Awaited<typeof child>;
		try {
			result = await child;
		} finally {
			this.#running.delete(child);
		}
		if (this.#closing)
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

	/** Like `exec`, but rejects with a `VmExecError` (`VmTimeoutError` on timeout) unless the exit status is 0. */
	succeed(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	succeed(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	async succeed(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		return expectOutcome(await this.exec(script, options), 'succeed', { qemuArgv: this.qemuArgv });
	}

	/** Like `exec`, but rejects with a `VmExecError` if the exit status is 0 (or the command timed out). */
	fail(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	fail(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	async fail(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		return expectOutcome(await this.exec(script, options), 'fail', { qemuArgv: this.qemuArgv });
	}

	/**
	 * Run `script` in the guest again and again (every `interval` ms) until it exits with 0, and resolve with
	 * that result; reject with a `VmWaitTimeoutError` showing the last attempt's output after `timeout` ms
	 * (default 30 s). Takes the exec options too (`env`, `cwd`, `user`, `signal`, …).
	 */
	async waitUntilSucceeds(script: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return waitUntil(this, script, 'success', options);
	}

	/** Like `waitUntilSucceeds`, but until the script exits with a status other than 0. */
	async waitUntilFails(script: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return waitUntil(this, script, 'failure', options);
	}

	/** Wait until `path` exists in the guest (`test -e`). */
	async waitForFile(path: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return waitUntil(this, fileCheck(path), 'success', options, 'waitForFile');
	}

	/** Wait until a TCP connection to `port` succeeds from inside the guest (to `host`, default 127.0.0.1). */
	async waitForOpenPort(port: number, options: WaitForPortOptions = {}): Promise<ExecResult<string>> {
		return waitUntil(this, portCheck(port, options.host), 'success', options, 'waitForOpenPort');
	}
	/** Stop running launchers (SIGTERM, then SIGKILL) and remove the temporary shared dir. Idempotent. */
	/** Each exec is a VM of its own that is gone when the exec ends: there is nothing to forward to. */
	async forwardPort(): Promise<number> {
		throw new VmError(
			'forwardPort() is not available with `launcher`: each exec boots a VM of its own that is gone when it ends. Start the VM without `launcher` (and with `network: true`).',
			{ qemuArgv: this.qemuArgv },
		);
	}

	close(): Promise<void> {
		this.#closing ??= (async () => {
			const running = [...this.#running];
			for (const child of running) child.kill('SIGTERM');
			await Promise.allSettled(running);
			await this.#resources.dispose();
		})();
		return this.#closing;
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.close();
	}

	#assertOpen(): void {
		if (this.#closing) {
			throw new VmClosedError('This VM was closed: start a new one with startVm() (or do not call close() before the last exec).', {
				qemuArgv: this.qemuArgv,
			});
		}
	}
}

/**
 * `startVm({ launcher })`: check that the launcher exists and prepare the shared dir; nothing boots
 * until the first exec. The result is typed as a `Vm` (it has every public member of one; `instanceof Vm`
 * is false).
 */
export async function startLauncherVm(options: NormalizedVmOptions & { launcher: string[] }): Promise<Vm> {
	const command = options.launcher[0]!;
	if (!(await findOnPath(command))) {
		throw new VmBootError(
			`The launcher \`${command}\` was not found${command.includes('/') ? ' or is not executable' : ' on PATH'}. Pass the launcher's path, e.g. launcher: ['./result/bin/run-…-vm-exec'] (a Nix build of …config.system.build.vmExec).`,
		);
	}
	const resources = new ResourceStack();
	let sharedDir: string | undefined;
	if (options.shared === true) {
		const temp = await tempDir({ prefix: 'vm-exec-shared-', unsafeCleanup: true, mode: 0o700 });
		resources.defer('shared temp dir', () => temp.cleanup());
		sharedDir = temp.path;
	} else if (typeof options.shared === 'string') {
		const info = await stat(options.shared).catch(() => undefined);
		if (!info?.isDirectory()) {
			throw new TypeError(
				`Expected the \`shared\` option to be an existing host directory, got \`${options.shared}\` (${info ? 'not a directory' : 'it does not exist'}). Create it first, or pass \`shared: true\` for a fresh temporary directory.`,
			);
		}
		sharedDir = options.shared;
	}
	const vm = new LauncherVm(options, sharedDir, resources);
	return vm as unknown as Vm;
}

/** Whether a VM handle is driven by a launcher. */
export function isLauncherVm(vm: unknown): vm is LauncherVm {
	return vm instanceof LauncherVm;
}
