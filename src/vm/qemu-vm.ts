/**
 * The VM `startVm()` returns: a QEMU process of our own, with the guest's control channel and exchange
 * dir. It notices when QEMU dies on its own (the guest kernel panicked, QEMU was killed), and closing it
 * releases, last first, everything `startVm()` acquired for it. A guest that stops answering while execs wait
 * on it is declared unresponsive: every pending and later call rejects with a `VmUnresponsiveError`.
 */
import path from 'node:path';
import { consoleTailSection, tailOf, VmClosedError, VmCrashedError, VmError, type VmUnresponsiveError } from '../errors.js';
import { createDebug } from '../debug.js';
import { KernelLogStream } from '../kernel-log/kernel-log-stream.js';
import type { KernelLog } from '../kernel-log/kernel-verdict.js';
import type { ResourceStack } from '../lifecycle/resource-stack.js';
import { type ForwardPortOptions, PortForwards } from '../network/port-forward.js';
import type { NormalizedExecOptions } from '../options.js';
import type { ControlChannel } from '../protocol/control-channel.js';
import type { RunningQemu } from '../qemu/launch.js';
import { isHeldByDebugger } from '../qemu/state.js';
import { BaseVm } from './base-vm.js';
import { buildUserLookup, parsePasswdLine, VmUnknownUserError, wrapScriptForUser } from './exec-as-user.js';
import { withExecKernelLog } from './exec-kernel-log.js';
import type { ExecResult } from './exec-result.js';
import { GuestExecs } from './guest-execs.js';
import { registerVmInternals } from './internals-registry.js';
import type { QemuVmParts } from './qemu-vm-parts.js';
import { describeUnresponsiveGuest } from './unresponsive.js';
import type { GdbInfo } from './vm.js';

const debug = createDebug('exec');
/** How long closing waits for the guest to sync its writable disks before QEMU is stopped anyway. */
const DISK_SYNC_TIMEOUT_MS = 10_000;

/** How to reach the gdb stub listening on `socket`. */
function gdbInfoOf(socket: string | undefined): GdbInfo | undefined {
	return socket ? { socket, target: `target remote ${socket}`, command: `gdb -ex 'target remote ${socket}'` } : undefined;
}

/** How long `kernelLog.sync()` waits for the taint marker of the last exec (it comes within ms of `done`). */
const TAINT_WAIT_MS = 1000;
/** Exec scripts remembered for naming the exec a kernel report was logged during. */
const REMEMBERED_COMMANDS = 1000;

/**
 * The public view of a VM's kernel log stream; reports are acknowledged by their seq (their objects are
 * copied). `commands` maps exec ids to their scripts (filled by runExec).
 */
function kernelLogOf(stream: KernelLogStream, commands: Map<string, string>): KernelLog {
	const acknowledged = new Set<number>();
	return {
		commandOf: (execId) => commands.get(execId),
		get lastSeq() {
			return stream.lastSeq;
		},
		// Every record up to now, and the taint after the last exec (its marker follows the exec's `done`).
		sync: async () => {
			await stream.readNow();
			await stream.waitForTaints(TAINT_WAIT_MS);
		},
		acknowledge: (report) => void acknowledged.add(report.seq),
		isAcknowledged: (report) => acknowledged.has(report.seq),
		get records() {
			return stream.records();
		},
		get reports() {
			return stream.reports();
		},
		get taint() {
			return stream.taint;
		},
		get losses() {
			return stream.losses;
		},
	};
}

export class QemuVm extends BaseVm {
	readonly #shell: string;
	readonly #kernelLog: KernelLogStream;
	readonly #commands: Map<string, string>;
	readonly #kernelReports: QemuVmParts['kernelReports'];
	readonly #qemu: RunningQemu;
	readonly #control: ControlChannel;
	readonly #resources: ResourceStack;
	readonly #execs: GuestExecs;
	readonly #portForwards: PortForwards | undefined;
	#crash: VmCrashedError | undefined;
	/** Set once the guest was declared unresponsive: the error every later call rejects with, once gathered. */
	#unresponsive: Promise<VmUnresponsiveError> | undefined;
	#unresponsiveError: VmUnresponsiveError | undefined;

	/** @internal Use `startVm()`. */
	constructor(parts: QemuVmParts) {
		const console = parts.qemu.console;
		// The guest copies its /dev/kmsg into xchg/kmsg from `go` on (init.sh): follow it from the start.
		const kernelLog = new KernelLogStream({ path: path.join(parts.xchgDir, 'kmsg') });
		const commands = new Map<string, string>();
		super({
			qemuArgv: parts.qemu.argv,
			accel: parts.accel,
			sharedDir: parts.sharedDir,
			kernel: parts.kernel,
			pid: parts.qemu.pid,
			bootedFrom: parts.bootedFrom ?? 'cold',
			lanAddress: parts.network?.lanAddress,
			disks: parts.disks ?? [],
			get consoleLog() {
				return console.text;
			},
			gdb: gdbInfoOf(parts.gdbSocket),
			kernelLog: kernelLogOf(kernelLog, commands),
		});
		this.#kernelLog = kernelLog;
		this.#commands = commands;
		this.#kernelReports = parts.kernelReports;
		parts.resources.defer('kernel log', () => kernelLog.close());
		this.#qemu = parts.qemu;
		this.#resources = parts.resources;
		this.#control = parts.control;
		this.#shell = parts.env.SHELL ?? '/bin/sh';
		registerVmInternals(this, parts);
		if (parts.network?.userNetwork) {
			const forwards = new PortForwards(() => parts.qemu.qmp());
			this.#portForwards = forwards;
			parts.resources.defer('forwarded ports', () => forwards.removeAll());
		}
		this.#execs = new GuestExecs({
			control: parts.control,
			xchgDir: parts.xchgDir,
			env: parts.env,
			cwd: parts.cwd,
			onSilent: (silentMs) => void this.#declareUnresponsive(silentMs),
			// A guest stopped by gdb (attached, at a breakpoint) is silent on purpose: not a frozen kernel.
			...(parts.gdbSocket ? { isHeld: () => isHeldByDebugger(() => parts.qemu.qmp()) } : {}),
			...(parts.execIdPrefix ? { idPrefix: parts.execIdPrefix } : {}),
			...(parts.liveness === undefined ? {} : { liveness: parts.liveness }),
		});
		void parts.qemu.exited.then((exit) => {
			if (this.isClosing) return;
			const consoleLog = parts.qemu.console.text;
			const panicked = /Kernel panic/.test(consoleLog);
			const how = exit.signal ? `QEMU was killed by ${exit.signal}` : `QEMU exited with code ${exit.exitCode}`;
			this.#crash = new VmCrashedError(
				`The VM crashed: ${panicked ? 'the guest kernel panicked' : how}.${consoleTailSection(consoleLog)}`,
				{
					consoleLog: tailOf(consoleLog),
					qemuArgv: this.qemuArgv,
					...(exit.exitCode === undefined ? {} : { exitCode: exit.exitCode }),
					...(exit.signal ? { signal: exit.signal } : {}),
				},
			);
			this.#execs.rejectAll(this.#crash);
			void this.#resources.dispose().catch(() => {});
		});
	}

	async forwardPort(guestPort: number, options: ForwardPortOptions = {}): Promise<number> {
		await this.#assertResponsive();
		if (!this.#portForwards) {
			throw new VmError('forwardPort() needs the user-mode network: start the VM with `network: true`.', { qemuArgv: this.qemuArgv });
		}
		return this.#portForwards.forward(guestPort, options);
	}

	protected async runExec(script: string, options: NormalizedExecOptions): Promise<ExecResult<string | Buffer>> {
		await this.#assertResponsive();
		// As another user: the guest runs a root wrapper around the script (exec-as-user.ts); the result names the script.
		const body = options.user === undefined ? script : await this.#wrapForUser(script, options.user, options.signal);
		const { execId, ...result } = await this.#execs.run(body, options, () => this.assertUsable());
		this.#commands.set(execId, script);
		if (this.#commands.size > REMEMBERED_COMMANDS) this.#commands.delete(this.#commands.keys().next().value!);
		return withExecKernelLog({ ...result, script }, execId, {
			stream: this.#kernelLog,
			policy: this.#kernelReports ?? 'report',
			release: this.kernel.release,
			alive: !this.closed && !this.#qemu.hasExited(),
			details: { consoleLog: tailOf(this.consoleLog), qemuArgv: this.qemuArgv },
		});
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
		return wrapScriptForUser(script, account, this.#shell);
	}

	protected async shutDown(): Promise<void> {
		this.#execs.rejectAll(
			new VmClosedError('The VM was closed while this command was running.', {
				consoleLog: tailOf(this.consoleLog),
				qemuArgv: this.qemuArgv,
			}),
		);
		await this.#syncDisks();
		await this.#resources.dispose();
	}

	/**
	 * Closing a VM with writable disks flushes the guest's caches to them first: the guest syncs and leaves
	 * (QEMU runs with -no-reboot, so it exits), bounded; stopping QEMU without it could lose unsynced writes.
	 */
	async #syncDisks(): Promise<void> {
		// A guest that stopped answering cannot sync: closing must not wait on it.
		if (this.#crash || this.#unresponsiveError || this.#qemu.hasExited() || !this.disks.some((disk) => !disk.readOnly)) return;
		this.#control.send({ type: 'reboot' });
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([this.#qemu.exited, new Promise((resolve) => (timer = setTimeout(resolve, DISK_SYNC_TIMEOUT_MS)))]).finally(() =>
			clearTimeout(timer),
		);
	}

	protected override deathError(): Error | undefined {
		return this.#crash ?? this.#unresponsiveError;
	}

	/** Like assertUsable, and also waits for the verdict on a guest being declared unresponsive right now. */
	async #assertResponsive(): Promise<void> {
		this.assertUsable();
		if (this.#unresponsive) throw await this.#unresponsive;
	}

	/** The guest was silent while execs waited on it: gather the evidence, then fail every pending and later call. */
	async #declareUnresponsive(silentMs: number): Promise<void> {
		if (this.#unresponsive || this.closed) return;
		const qemu = this.#qemu;
		this.#unresponsive = describeUnresponsiveGuest({
			silentMs,
			pid: this.pid,
			qmp: () => qemu.qmp(),
			kernelRelease: this.kernel.release,
			consoleLog: this.consoleLog,
			lastCommand: this.#execs.lastCommand,
			qemuArgv: this.qemuArgv,
		});
		const error = await this.#unresponsive;
		debug(error.message.split('\n')[0]!);
		if (this.closed) return;
		this.#unresponsiveError = error;
		this.#execs.rejectAll(error);
	}
}
