/**
 * The started VM: run scripts in it, close it.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileCheck, portCheck, waitUntil, type WaitForPortOptions, type WaitOptions } from './wait-until.js';
import { buildUserLookup, parsePasswdLine, VmUnknownUserError, wrapScriptForUser } from './exec-as-user.js';
import { registerVmInternals } from './internals-registry.js';
import { createDebug } from '../debug.js';
import { tailOf, VmClosedError, VmCrashedError, VmError } from '../errors.js';
import type { ExecResult } from './exec-result.js';
import { expectOutcome } from './exec-result.js';
import { readExecOutput } from './exec-output.js';
import type { KernelInfo } from '../boot/kernel.js';
import type { VmNetwork } from '../network/setup.js';
import type { RunningQemu } from '../qemu/launch.js';
import { type ExecOptions, normalizeExecOptions, validateScript } from '../options.js';
import { type ForwardPortOptions, PortForwards } from '../network/port-forward.js';
import type { ControlChannel } from '../protocol/control-channel.js';
import { buildRunScript, execFileNames, hasShebang } from '../protocol/exec-files.js';
import type { ResourceStack } from '../lifecycle/resource-stack.js';

const debug = createDebug('exec');
/** How often a kill is repeated while the killed command has not ended (see exec). */
const KILL_REPEAT_MS = 1000;

type Output<Encoding> = Encoding extends 'buffer' ? Buffer : string;

interface PendingExec {
	resolve(status: number): void;
	reject(error: Error): void;
}

/** What `startVm` hands to the `Vm` it creates. */
export interface VmInternals {
	qemu: RunningQemu;
	control: ControlChannel;
	xchgDir: string;
	kernel: KernelInfo;
	accel: 'kvm' | 'tcg';
	sharedDir: string | undefined;
	env: Record<string, string>;
	cwd: string;
	resources: ResourceStack;
	/** The VM's networking (absent: loopback only). */
	network?: VmNetwork;
	/** Whether the VM was restored from a snapshot or booted cold. */
	bootedFrom?: 'snapshot' | 'cold';
	/** The gdb stub's socket, with the `gdb` option. */
	gdbSocket?: string;
	/** With the `keep` option: what handing the VM over to a keeper needs (src/keep/keep-vm.ts). */
	keep?: { limitMs: number; workspace: string; release(): void };
}

/** How to attach a debugger to the guest kernel (the `gdb` option). */
export interface GdbInfo {
	/** The unix socket QEMU's gdb stub listens on. */
	socket: string;
	/** The gdb command that connects: `target remote <socket>`. */
	target: string;
	/** A whole command line to start gdb attached (add the kernel's debug vmlinux as its last argument for symbols). */
	command: string;
}

let nextVmNumber = 0;

export class Vm implements AsyncDisposable {
	/** The QEMU command line (binary first), as passed to the process. */
	readonly qemuArgv: readonly string[];
	/** The accelerator in use: `'kvm'` or `'tcg'` (software emulation). */
	readonly accel: 'kvm' | 'tcg';
	/** The host directory mounted at `/tmp/shared` in the guest, if any. */
	readonly sharedDir: string | undefined;
	/** The kernel the guest runs. */
	readonly kernel: Readonly<KernelInfo>;
	/** QEMU's process id. */
	readonly pid: number | undefined;
	/** `'snapshot'` when the VM started from a saved snapshot of its configuration, `'cold'` when it booted. */
	readonly bootedFrom: 'snapshot' | 'cold';
	/** The VM's IPv4 address on its `lan` (e.g. `'10.0.3.1'`), if it is on one. */
	readonly lanAddress: string | undefined;
	/** How to attach gdb to the guest kernel, with the `gdb` option; else undefined. */
	readonly gdb: GdbInfo | undefined;

	readonly #internals: VmInternals;
	readonly #pending = new Map<string, PendingExec>();
	readonly #execPrefix = `v${(nextVmNumber++).toString(36)}x`;
	#nextExec = 0;
	#closing: Promise<void> | undefined;
	#crash: VmCrashedError | undefined;
	#portForwards: PortForwards | undefined;

	/** @internal Use `startVm()`. */
	constructor(internals: VmInternals) {
		this.#internals = internals;
		registerVmInternals(this, internals);
		this.qemuArgv = internals.qemu.argv;
		this.accel = internals.accel;
		this.sharedDir = internals.sharedDir;
		this.kernel = internals.kernel;
		this.pid = internals.qemu.pid;
		this.bootedFrom = internals.bootedFrom ?? 'cold';
		this.lanAddress = internals.network?.lanAddress;
		this.gdb = internals.gdbSocket
			? {
					socket: internals.gdbSocket,
					target: `target remote ${internals.gdbSocket}`,
					command: `gdb -ex 'target remote ${internals.gdbSocket}'`,
				}
			: undefined;
		if (internals.network?.userNetwork) {
			const forwards = new PortForwards(() => internals.qemu.qmp());
			this.#portForwards = forwards;
			internals.resources.defer('forwarded ports', () => forwards.removeAll());
		}
		internals.control.onMessage((message) => {
			if (message.type !== 'done') return;
			const pending = this.#pending.get(message.id);
			this.#pending.delete(message.id);
			pending?.resolve(message.status);
			if (pending) internals.control.send({ type: 'reap', id: message.id });
		});
		void internals.qemu.exited.then((exit) => {
			if (this.#closing) return;
			const consoleLog = internals.qemu.console.text;
			const panicked = /Kernel panic/.test(consoleLog);
			const how = exit.signal ? `QEMU was killed by ${exit.signal}` : `QEMU exited with code ${exit.exitCode}`;
			this.#crash = new VmCrashedError(
				`The VM crashed: ${panicked ? 'the guest kernel panicked' : how}.${consoleLog.trim() ? `\nConsole tail:\n${tailOf(consoleLog, 2000).trimEnd()}` : ''}`,
				{
					consoleLog: tailOf(consoleLog),
					qemuArgv: this.qemuArgv,
					...(exit.exitCode === undefined ? {} : { exitCode: exit.exitCode }),
					...(exit.signal ? { signal: exit.signal } : {}),
				},
			);
			this.#rejectPending(this.#crash);
			void this.#internals.resources.dispose().catch(() => {});
		});
	}

	/** Everything the guest printed on its console so far (boot messages, kernel warnings, panics). */
	get consoleLog(): string {
		return this.#internals.qemu.console.text;
	}

	/** Whether the VM was closed or has died. */
	get closed(): boolean {
		return this.#closing !== undefined || this.#crash !== undefined;
	}

	/**
	 * Run a shell script in the guest as root (`/bin/sh`, or its `#!` interpreter). Resolves with its
	 * exit status and output whatever the status; rejects only when the VM itself fails.
	 */
	exec(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	exec(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	exec<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<Output<Encoding>>>;
	async exec(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		validateScript(script);
		const normalized = normalizeExecOptions(options);
		this.#assertUsable();
		const started = performance.now();
		// As another user: the script the guest runs is a root wrapper around the user's script (exec-as-user.ts).
		const body = normalized.user === undefined ? script : await this.#wrapForUser(script, normalized.user, normalized.signal);
		const id = `${this.#execPrefix}${(this.#nextExec++).toString(36)}`;
		const names = execFileNames(id);
		const file = (name: string) => path.join(this.#internals.xchgDir, name);
		let timedOut = false;
		let isCanceled = false;
		if (normalized.signal?.aborted) {
			return {
				script,
				stdout: empty(normalized.encoding),
				stderr: empty(normalized.encoding),
				exitCode: undefined,
				durationMs: 0,
				timedOut,
				isCanceled: true,
			};
		}
		let timer: NodeJS.Timeout | undefined;
		let onAbort: (() => void) | undefined;
		let killAgain: NodeJS.Timeout | undefined;
		const kill = () => {
			if (!this.#pending.has(id)) return;
			this.#internals.control.send({ type: 'kill', id });
			// A kill that reaches the guest before the command has joined its cgroup kills nothing: repeat it
			// until the command has ended.
			killAgain ??= setInterval(() => {
				if (this.#pending.has(id)) this.#internals.control.send({ type: 'kill', id });
			}, KILL_REPEAT_MS);
		};
		const output = readExecOutput(file(names.stdout), file(names.stderr), { onStdout: normalized.onStdout, onStderr: normalized.onStderr });
		try {
			await Promise.all([
				// The output files exist before the run: the guest opens them rather than creating them (see execFileNames).
				writeFile(file(names.stdout), '', { mode: 0o600 }),
				writeFile(file(names.stderr), '', { mode: 0o600 }),
				hasShebang(body) ? writeFile(file(names.script), body, { mode: 0o700 }) : undefined,
				normalized.input ? writeFile(file(names.stdin), normalized.input, { mode: 0o600 }) : undefined,
				writeFile(
					file(names.run),
					buildRunScript({
						id,
						cwd: normalized.cwd ?? this.#internals.cwd,
						env: { ...this.#internals.env, ...normalized.env },
						hasInput: normalized.input !== undefined,
						script: body,
					}),
					{ mode: 0o600 },
				),
			]);
			this.#assertUsable();
			const status = new Promise<number>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
			debug(`run ${id}: ${script.slice(0, 80)}`);
			this.#internals.control.send({ type: 'run', id });
			if (normalized.timeout > 0) {
				timer = setTimeout(() => {
					timedOut = true;
					kill();
				}, normalized.timeout);
			}
			if (normalized.signal) {
				onAbort = () => {
					isCanceled = true;
					kill();
				};
				normalized.signal.addEventListener('abort', onAbort, { once: true });
			}
			const exitCode = await status;
			const { stdout, stderr } = await output.finish();
			const decode = (data: Buffer) => (normalized.encoding === 'buffer' ? data : data.toString('utf8'));
			return {
				script,
				stdout: decode(stdout),
				stderr: decode(stderr),
				exitCode,
				durationMs: performance.now() - started,
				timedOut,
				isCanceled,
			};
		} finally {
			if (timer) clearTimeout(timer);
			if (killAgain) clearInterval(killAgain);
			if (onAbort) normalized.signal?.removeEventListener('abort', onAbort);
			this.#pending.delete(id);
			output.stop();
			await Promise.all(Object.values(names).map((name) => rm(file(name), { force: true }).catch(() => {})));
		}
	}

	/** Like `exec`, but rejects with a `VmExecError` (`VmTimeoutError` on timeout) unless the exit status is 0. */
	succeed(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	succeed(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	async succeed(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		return expectOutcome(await this.exec(script, options), 'succeed', { consoleLog: tailOf(this.consoleLog), qemuArgv: this.qemuArgv });
	}

	/** Like `exec`, but rejects with a `VmExecError` if the exit status is 0 (or the command timed out). */
	fail(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	fail(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	async fail(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		return expectOutcome(await this.exec(script, options), 'fail', { consoleLog: tailOf(this.consoleLog), qemuArgv: this.qemuArgv });
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

	/**
	 * Forward a free TCP (or UDP) port on the host's 127.0.0.1 to `guestPort` in the guest; resolves with
	 * the host port. Works at any time after boot; needs `network: true`. The port is released on close.
	 */
	async forwardPort(guestPort: number, options: ForwardPortOptions = {}): Promise<number> {
		this.#assertUsable();
		if (!this.#portForwards) {
			throw new VmError('forwardPort() needs the user-mode network: start the VM with `network: true`.', { qemuArgv: this.qemuArgv });
		}
		return this.#portForwards.forward(guestPort, options);
	}

	/** Stop QEMU and remove every temp dir and socket. Idempotent; pending execs reject with `VmClosedError`. */
	close(): Promise<void> {
		this.#closing ??= (async () => {
			this.#rejectPending(
				new VmClosedError('The VM was closed while this command was running.', {
					consoleLog: tailOf(this.consoleLog),
					qemuArgv: this.qemuArgv,
				}),
			);
			await this.#internals.resources.dispose();
		})();
		return this.#closing;
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.close();
	}

	async #wrapForUser(script: string, user: string, signal: AbortSignal | undefined): Promise<string> {
		const lookup = await this.exec(buildUserLookup(user), signal ? { signal } : {});
		const account = lookup.exitCode === 0 ? parsePasswdLine(lookup.stdout) : undefined;
		if (!account) {
			if (lookup.isCanceled) signal?.throwIfAborted();
			if (lookup.exitCode === 2 || lookup.exitCode === 0) throw new VmUnknownUserError(user, { qemuArgv: this.qemuArgv });
			throw new VmError(
				`Cannot look up the user \`${user}\` in the guest: getent exited with ${lookup.exitCode}: ${lookup.stderr.trim()}`,
				{
					qemuArgv: this.qemuArgv,
				},
			);
		}
		return wrapScriptForUser(script, account, this.#internals.env.SHELL ?? '/bin/sh');
	}

	#assertUsable(): void {
		if (this.#crash) throw this.#crash;
		if (this.#closing) {
			throw new VmClosedError('This VM was closed: start a new one with startVm() (or do not call close() before the last exec).', {
				qemuArgv: this.qemuArgv,
			});
		}
	}

	#rejectPending(error: Error): void {
		for (const pending of this.#pending.values()) pending.reject(error);
		this.#pending.clear();
	}
}

function empty(encoding: 'utf8' | 'buffer'): string | Buffer {
	return encoding === 'buffer' ? Buffer.alloc(0) : '';
}
