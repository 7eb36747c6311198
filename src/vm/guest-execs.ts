/**
 * The execs of one QEMU VM: each writes its files into the exchange dir, asks the guest to run them over
 * the control channel ("run <id>"), and ends when the guest says "done <id> <status>"; its output is read
 * from (and can be streamed out of) the files the guest wrote. The host keeps every exec's deadline itself
 * (KILL_GRACE_MS), and checks that the guest still answers while an exec waits on it (liveness.ts).
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from '../debug.js';
import type { NormalizedExecOptions } from '../options.js';
import type { ControlChannel } from '../protocol/control-channel.js';
import { buildRunScript, execFileNames, hasShebang } from '../protocol/exec-files.js';
import { readExecOutput } from './exec-output.js';
import type { ExecResult } from './exec-result.js';
import { LivenessMonitor } from './liveness.js';

const debug = createDebug('exec');
/** How often a kill is repeated while the killed command has not ended (see run). */
const KILL_REPEAT_MS = 1000;
/**
 * How long after an exec's `timeout` (or its `signal`'s abort) the host waits for the guest to confirm
 * the kill before it settles the exec itself (`timedOut`/`isCanceled`, `exitCode: undefined`): the host
 * keeps every deadline, whatever the guest does. A live guest confirms within a few hundred ms.
 */
export const KILL_GRACE_MS = 1500;

interface PendingExec {
	resolve(status: number | undefined): void;
	reject(error: Error): void;
}

export interface GuestExecsSettings {
	control: ControlChannel;
	xchgDir: string;
	/** The VM's environment, under each exec's own. */
	env: Record<string, string>;
	/** The working directory of an exec that names none. */
	cwd: string;
	/** The guest said nothing for `silentMs` while execs waited on it (see liveness.ts): called once. */
	onSilent(silentMs: number): void;
	/** Whether a debugger holds the guest, so its silence does not count (VMs with the `gdb` option). */
	isHeld?: () => Promise<boolean>;
	/**
	 * The start of this VM's exec ids ([a-z0-9]+), when the default (`v<N>x`, N counted per process) could
	 * repeat ids the guest has already seen: a keeper takes over a VM whose execs another process numbered.
	 */
	idPrefix?: string;
	/**
	 * The liveness check (liveness.ts); off only to measure what it costs (`VM_EXEC_LIVENESS=off`,
	 * bench/freeze.ts): without it a frozen guest leaves execs pending. @default true
	 */
	liveness?: boolean;
}

let nextVmNumber = 0;

export class GuestExecs {
	readonly #settings: GuestExecsSettings;
	readonly #pending = new Map<string, PendingExec>();
	/** Exec ids are unique across the VMs of a process, so a stray message can never match another VM's exec. */
	readonly #idPrefix: string;
	#nextExec = 0;
	readonly #liveness: LivenessMonitor;
	#lastCommand: string | undefined;

	constructor(settings: GuestExecsSettings) {
		this.#settings = settings;
		this.#idPrefix = settings.idPrefix ?? `v${(nextVmNumber++).toString(36)}x`;
		this.#liveness = new LivenessMonitor({
			ping: (id) => settings.control.send({ type: 'ping', id }),
			onSilent: settings.onSilent,
			...(settings.isHeld ? { isHeld: settings.isHeld } : {}),
			enabled: settings.liveness ?? true,
		});
		settings.control.onMessage((message) => {
			this.#liveness.heard();
			if (message.type !== 'done') return;
			const pending = this.#pending.get(message.id);
			this.#pending.delete(message.id);
			pending?.resolve(message.status);
			// A late answer for an exec the host already settled, or for one of the process that handed this VM
			// over to a keeper: ignored, but its slot in the guest is freed all the same.
			settings.control.send({ type: 'reap', id: message.id });
		});
	}

	/** The script of the last exec started, for the error of a guest that stops answering. */
	get lastCommand(): string | undefined {
		return this.#lastCommand;
	}

	/**
	 * Run one exec to its end. `assertUsable` is asked again once the files are written, since the VM may
	 * have died or been closed meanwhile.
	 */
	async run(
		script: string,
		options: NormalizedExecOptions,
		assertUsable: () => void,
	): Promise<ExecResult<string | Buffer> & { /** The exec's id, as the guest's kernel log markers name it. */ execId: string }> {
		const { control, xchgDir } = this.#settings;
		const started = performance.now();
		const id = `${this.#idPrefix}${(this.#nextExec++).toString(36)}`;
		const names = execFileNames(id);
		const file = (name: string) => path.join(xchgDir, name);
		let timedOut = false;
		let isCanceled = false;
		let timer: NodeJS.Timeout | undefined;
		let onAbort: (() => void) | undefined;
		let killAgain: NodeJS.Timeout | undefined;
		let grace: NodeJS.Timeout | undefined;
		let releaseLiveness: (() => void) | undefined;
		const kill = () => {
			if (!this.#pending.has(id)) return;
			control.send({ type: 'kill', id });
			grace ??= setTimeout(() => this.#settleWithoutGuest(id), KILL_GRACE_MS);
			// A kill that reaches the guest before the command has joined its cgroup kills nothing: repeat it
			// until the command has ended.
			killAgain ??= setInterval(() => {
				if (this.#pending.has(id)) control.send({ type: 'kill', id });
			}, KILL_REPEAT_MS);
		};
		const output = readExecOutput(file(names.stdout), file(names.stderr), { onStdout: options.onStdout, onStderr: options.onStderr });
		try {
			await Promise.all([
				// The output files exist before the run: the guest opens them rather than creating them (see execFileNames).
				writeFile(file(names.stdout), '', { mode: 0o600 }),
				writeFile(file(names.stderr), '', { mode: 0o600 }),
				hasShebang(script) ? writeFile(file(names.script), script, { mode: 0o700 }) : undefined,
				options.input ? writeFile(file(names.stdin), options.input, { mode: 0o600 }) : undefined,
				writeFile(
					file(names.run),
					buildRunScript({
						id,
						cwd: options.cwd ?? this.#settings.cwd,
						env: { ...this.#settings.env, ...options.env },
						hasInput: options.input !== undefined,
						script,
					}),
					{ mode: 0o600 },
				),
			]);
			assertUsable();
			const status = new Promise<number | undefined>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
			debug(`run ${id}: ${script.slice(0, 80)}`);
			this.#lastCommand = script;
			control.send({ type: 'run', id });
			releaseLiveness = this.#liveness.hold();
			if (options.timeout > 0) {
				timer = setTimeout(() => {
					timedOut = true;
					kill();
				}, options.timeout);
			}
			if (options.signal) {
				onAbort = () => {
					isCanceled = true;
					kill();
				};
				options.signal.addEventListener('abort', onAbort, { once: true });
			}
			const exitCode = await status;
			const { stdout, stderr } = await output.finish();
			const decode = (data: Buffer) => (options.encoding === 'buffer' ? data : data.toString('utf8'));
			return {
				script,
				stdout: decode(stdout),
				stderr: decode(stderr),
				exitCode,
				durationMs: performance.now() - started,
				timedOut,
				isCanceled,
				execId: id,
			};
		} finally {
			if (timer) clearTimeout(timer);
			if (killAgain) clearInterval(killAgain);
			if (grace) clearTimeout(grace);
			releaseLiveness?.();
			if (onAbort) options.signal?.removeEventListener('abort', onAbort);
			this.#pending.delete(id);
			output.stop();
			await Promise.all(Object.values(names).map((name) => rm(file(name), { force: true }).catch(() => {})));
		}
	}

	/** Reject every exec still waiting for the guest (the VM died, stopped answering or is being closed); check no more. */
	rejectAll(error: Error): void {
		this.#liveness.dispose();
		for (const pending of this.#pending.values()) pending.reject(error);
		this.#pending.clear();
	}

	/** The guest did not confirm a kill in time: the exec ends now, without an exit status. */
	#settleWithoutGuest(id: string): void {
		const pending = this.#pending.get(id);
		if (!pending) return;
		debug(`${id}: no answer ${KILL_GRACE_MS} ms after the kill; settled by the host`);
		this.#pending.delete(id);
		pending.resolve(undefined);
	}
}
