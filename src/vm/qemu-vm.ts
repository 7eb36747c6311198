/**
 * The VM `startVm()` returns: a QEMU process of our own, with the guest's control channel and exchange
 * dir. It notices when QEMU dies on its own (the guest kernel panicked, QEMU was killed), and closing it
 * releases, last first, everything `startVm()` acquired for it. A guest that stops answering while execs wait
 * on it is declared unresponsive: every pending and later call rejects with a `VmUnresponsiveError`.
 */
import type { KernelInfo } from '../kernel/kernel.js';
import { tailOf, VmClosedError, VmCrashedError, VmError, type VmUnresponsiveError } from '../errors.js';
import { createDebug } from '../debug.js';
import type { ResourceStack } from '../lifecycle/resource-stack.js';
import { type ForwardPortOptions, PortForwards } from '../network/port-forward.js';
import type { VmNetwork } from '../network/setup.js';
import type { NormalizedExecOptions } from '../options.js';
import type { ControlChannel } from '../protocol/control-channel.js';
import type { RunningQemu } from '../qemu/launch.js';
import { BaseVm } from './base-vm.js';
import type { ExecResult } from './exec-result.js';
import { GuestExecs } from './guest-execs.js';
import { describeUnresponsiveGuest } from './unresponsive.js';
import { isHeldByDebugger } from '../qemu/state.js';
import type { VmDisk } from '../disks/prepare.js';

const debug = createDebug('exec');
/** How long closing waits for the guest to sync its writable disks before QEMU is stopped anyway. */
const DISK_SYNC_TIMEOUT_MS = 10_000;
import { buildUserLookup, parsePasswdLine, VmUnknownUserError, wrapScriptForUser } from './exec-as-user.js';
import { registerVmInternals } from './internals-registry.js';
import type { GdbInfo } from './vm.js';

/** What `startVm` hands to the `QemuVm` it creates. */
export interface QemuVmParts {
	qemu: RunningQemu;
	control: ControlChannel;
	xchgDir: string;
	kernel: KernelInfo;
	accel: 'kvm' | 'tcg';
	sharedDir: string | undefined;
	env: Record<string, string>;
	cwd: string;
	/** Everything acquired for the VM, QEMU included: released on close, or when QEMU dies. */
	resources: ResourceStack;
	/** The VM's networking (absent: loopback only). */
	network?: VmNetwork;
	/** Whether the VM was restored from a snapshot or booted cold. */
	bootedFrom?: 'snapshot' | 'cold';
	/** The `disks` option's images. */
	disks?: readonly VmDisk[];
	/** The gdb stub's socket, with the `gdb` option. */
	gdbSocket?: string;
	/** The start of the VM's exec ids, when it must differ from this process's default (a keeper's: see GuestExecs). */
	execIdPrefix?: string;
	/** With the `keep` option: what handing the VM over to a keeper needs (src/keep/keep-vm.ts). */
	keep?: { limitMs: number; workspace: string; release(): void };
}

export class QemuVm extends BaseVm {
	readonly qemuArgv: readonly string[];
	readonly accel: 'kvm' | 'tcg';
	readonly sharedDir: string | undefined;
	readonly kernel: Readonly<KernelInfo>;
	readonly pid: number | undefined;
	readonly bootedFrom: 'snapshot' | 'cold';
	readonly lanAddress: string | undefined;
	readonly disks: readonly Readonly<VmDisk>[];

	readonly #gdb: GdbInfo | undefined;
	readonly #shell: string;
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
		super();
		this.#qemu = parts.qemu;
		this.#resources = parts.resources;
		this.qemuArgv = parts.qemu.argv;
		this.accel = parts.accel;
		this.sharedDir = parts.sharedDir;
		this.kernel = parts.kernel;
		this.pid = parts.qemu.pid;
		this.bootedFrom = parts.bootedFrom ?? 'cold';
		this.lanAddress = parts.network?.lanAddress;
		this.disks = parts.disks ?? [];
		this.#control = parts.control;
		this.#gdb = parts.gdbSocket
			? { socket: parts.gdbSocket, target: `target remote ${parts.gdbSocket}`, command: `gdb -ex 'target remote ${parts.gdbSocket}'` }
			: undefined;
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
		});
		void parts.qemu.exited.then((exit) => {
			if (this.isClosing) return;
			const consoleLog = parts.qemu.console.text;
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
			this.#execs.rejectAll(this.#crash);
			void this.#resources.dispose().catch(() => {});
		});
	}

	override get gdb(): GdbInfo | undefined {
		return this.#gdb;
	}

	get consoleLog(): string {
		return this.#qemu.console.text;
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
		if (options.user === undefined) return this.#execs.run(script, options, () => this.assertUsable());
		// As another user: the guest runs a root wrapper around the script (exec-as-user.ts); the result names the script.
		const body = await this.#wrapForUser(script, options.user, options.signal);
		return { ...(await this.#execs.run(body, options, () => this.assertUsable())), script };
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
