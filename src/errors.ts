/**
 * Error classes of vm-exec. Each carries the data a user needs to act on it, like execa's errors:
 * the first line of `message` says what went wrong, the properties hold the evidence.
 */
import type { ExecRecord, ExecReport } from './kernel-log/kernel-log-stream.js';
import type { TaintChange } from './kernel-log/kernel-verdict.js';

/** Base class of every error vm-exec throws on purpose. */
export class VmError extends Error {
	override name = 'VmError';
	/** The tail of the guest console when the error happened (may be empty). */
	consoleLog: string;
	/** The QEMU command line of the VM, when one was started. */
	qemuArgv: readonly string[] | undefined;

	constructor(message: string, details: { consoleLog?: string; qemuArgv?: readonly string[]; cause?: unknown } = {}) {
		super(message, details.cause === undefined ? undefined : { cause: details.cause });
		this.consoleLog = details.consoleLog ?? '';
		this.qemuArgv = details.qemuArgv;
	}
}

/** The VM could not be started: missing host tools, a bad kernel, QEMU exiting early, a boot timeout. */
export class VmBootError extends VmError {
	override name = 'VmBootError';
	/** QEMU's exit code, if it exited. */
	exitCode: number | undefined;
	/** What QEMU itself printed on stderr. */
	qemuStderr: string;

	constructor(
		message: string,
		details: { consoleLog?: string; qemuArgv?: readonly string[]; cause?: unknown; exitCode?: number; qemuStderr?: string } = {},
	) {
		super(message, details);
		this.exitCode = details.exitCode;
		this.qemuStderr = details.qemuStderr ?? '';
	}
}

/** A disk image of the `disks` option cannot be used: missing, a directory, unreadable, or locked by another VM. */
export class VmDiskError extends VmBootError {
	override name = 'VmDiskError';
	/** The image's host path. */
	path: string;

	constructor(message: string, details: { path: string; cause?: unknown; qemuArgv?: readonly string[]; qemuStderr?: string }) {
		super(message, details);
		this.path = details.path;
	}
}

/** The shape shared by exec results and exec errors, like execa's. */
export interface ExecResultFields<Output extends string | Buffer = string> {
	/** The script that ran. */
	script: string;
	stdout: Output;
	stderr: Output;
	/**
	 * The script's exit status; 128+N when it was killed by signal N (a `timeout` or an aborted `signal`
	 * kills it so); `undefined` when it was canceled before it ran (its `signal` was already aborted).
	 */
	exitCode: number | undefined;
	/** Wall time of the exec on the host, in milliseconds. */
	durationMs: number;
	/** Whether the command was killed because of its `timeout`. */
	timedOut: boolean;
	/** Whether the command was killed because its `signal` was aborted. */
	isCanceled: boolean;
	/**
	 * The guest kernel's log records logged while the command ran (every level; see docs/kernel-reports.md).
	 * Absent for a launcher VM and for a command canceled before it ran.
	 */
	kernelLog?: readonly ExecRecord[];
	/** The kernel's reports (`WARNING:`, `BUG:`, an oops, …) logged while the command ran. Absent as `kernelLog` is. */
	kernelReports?: readonly ExecReport[];
	/**
	 * `/proc/sys/kernel/tainted` before and after the command, and the bits it newly set. Absent as `kernelLog`
	 * is. `after` (and so the bits set) comes a moment after the result under `kernelReports: 'report'`:
	 * undefined when it had not arrived yet (`vm.kernelLog.taint` has it then; the test fixtures wait for it).
	 */
	taint?: TaintChange;
}

/** `vm.succeed()` saw a non-zero exit, `vm.fail()` saw a zero exit, or an exec timed out / was aborted. */
export class VmExecError extends VmError implements ExecResultFields<string | Buffer> {
	override name = 'VmExecError';
	script: string;
	stdout: string | Buffer;
	stderr: string | Buffer;
	exitCode: number | undefined;
	durationMs: number;
	timedOut: boolean;
	isCanceled: boolean;

	kernelLog?: readonly ExecRecord[];
	kernelReports?: readonly ExecReport[];
	taint?: TaintChange;

	constructor(
		message: string,
		result: ExecResultFields<string | Buffer>,
		details: { consoleLog?: string; qemuArgv?: readonly string[]; cause?: unknown } = {},
	) {
		super(message, details);
		this.script = result.script;
		this.stdout = result.stdout;
		this.stderr = result.stderr;
		this.exitCode = result.exitCode;
		this.durationMs = result.durationMs;
		this.timedOut = result.timedOut;
		this.isCanceled = result.isCanceled;
		if (result.kernelLog) this.kernelLog = result.kernelLog;
		if (result.kernelReports) this.kernelReports = result.kernelReports;
		if (result.taint) this.taint = result.taint;
	}
}

/**
 * The guest kernel reported a problem while a command ran — a `WARNING:`, `BUG:`, an oops, a lockup, … — or
 * newly set a taint bit that counts as a failure (`W`, `D`, `L`, …), and the VM was started with
 * `kernelReports: 'fail'`. Also a `VmExecError`: it carries the command's result, and `reports` and
 * `failingTaint` say what the kernel said.
 */
export class VmKernelError extends VmExecError {
	override name = 'VmKernelError';
	/** The kernel's reports logged while the command ran. */
	reports: readonly ExecReport[];
	/** The taint bits the command newly set that count as a failure (letter, bit, meaning). */
	failingTaint: TaintChange['failing'];

	constructor(
		message: string,
		result: ExecResultFields<string | Buffer>,
		details: { consoleLog?: string; qemuArgv?: readonly string[]; reports: readonly ExecReport[]; failingTaint: TaintChange['failing'] },
	) {
		super(message, result, details);
		this.reports = details.reports;
		this.failingTaint = details.failingTaint;
	}
}

/**
 * `succeed()` or `fail()` ran a command that did not end on its own: it exceeded its `timeout`
 * (`timedOut: true`) or its `signal` was aborted (`isCanceled: true`, also when that happened before it
 * ran). Also a `VmExecError`.
 */
export class VmTimeoutError extends VmExecError {
	override name = 'VmTimeoutError';
}

/**
 * A wait helper (`waitUntilSucceeds`, `waitUntilFails`, `waitForFile`, `waitForOpenPort`) ran out of time.
 * Its exec fields are the last attempt's result.
 */
export class VmWaitTimeoutError extends VmExecError {
	override name = 'VmWaitTimeoutError';
	/** How many times the check ran. */
	attempts: number;
	/** How long the wait took, in milliseconds. */
	waitedMs: number;

	constructor(message: string, result: ExecResultFields<string | Buffer>, details: { attempts: number; waitedMs: number }) {
		super(message, result);
		this.attempts = details.attempts;
		this.waitedMs = details.waitedMs;
	}
}

/** The guest died (kernel panic, QEMU killed or crashed) while work was pending. */
export class VmCrashedError extends VmError {
	override name = 'VmCrashedError';
	/** QEMU's exit code or signal, if known. */
	exitCode: number | undefined;
	signal: string | undefined;

	constructor(
		message: string,
		details: { consoleLog?: string; qemuArgv?: readonly string[]; cause?: unknown; exitCode?: number; signal?: string } = {},
	) {
		super(message, details);
		this.exitCode = details.exitCode;
		this.signal = details.signal;
	}
}

/** Where one virtual CPU of a guest that stopped answering was, from QEMU's monitor. */
export interface VcpuLocation {
	/** The CPU's index (0-based). */
	cpu: number;
	/** Its instruction pointer, hex without `0x`. */
	rip: string;
	/** The kernel symbol at `rip` (`native_safe_halt+0x11`), or where it is in words (`in a loadable module`, `in user space`). */
	where: string;
	/** Waiting for an interrupt (an idle CPU), not running. */
	halted: boolean;
	/** Running with interrupts off: nothing in the guest can stop it (no timer, no lockup report from this CPU). */
	interruptsOff: boolean;
}

/**
 * The guest stopped answering: its agent did not reply to a liveness check within the documented bound
 * while calls waited on it, typically because its kernel froze (a lockup in a module under test), or
 * because QEMU itself is stopped. Pending and later calls on the VM reject with it; close the VM.
 */
export class VmUnresponsiveError extends VmError {
	override name = 'VmUnresponsiveError';
	/** How long the guest had been silent when it was declared unresponsive (ms). */
	silentMs: number;
	/** The script of the last exec started on this VM, if any. */
	lastCommand: string | undefined;
	/** `'running'` (QEMU runs, the guest does not answer), `'stopped'` (QEMU's process is stopped, e.g. by SIGSTOP), or QEMU's own run state (`'paused'`, `'internal-error'`, …); `'unknown'` when QEMU did not say. */
	qemuState: string;
	/** Where the virtual CPUs were (empty when QEMU could not tell). */
	vcpus: VcpuLocation[];
	/** The kernel's lockup and bug reports found in the console tail (`BUG: soft lockup …`, `WARNING: …`). */
	kernelReports: string[];

	constructor(
		message: string,
		details: {
			consoleLog?: string;
			qemuArgv?: readonly string[];
			cause?: unknown;
			silentMs: number;
			lastCommand?: string | undefined;
			qemuState: string;
			vcpus?: VcpuLocation[];
			kernelReports?: string[];
		},
	) {
		super(message, details);
		this.silentMs = details.silentMs;
		this.lastCommand = details.lastCommand;
		this.qemuState = details.qemuState;
		this.vcpus = details.vcpus ?? [];
		this.kernelReports = details.kernelReports ?? [];
	}
}

/** An operation on a VM that was already closed. */
export class VmClosedError extends VmError {
	override name = 'VmClosedError';
}

/**
 * The "Console tail:" section that boot, crash and unresponsive errors end their message with (empty when
 * the console printed nothing): the last `maxChars` of the guest console.
 */
export function consoleTailSection(consoleLog: string, maxChars = 2000): string {
	return consoleLog.trim() ? `\nConsole tail:\n${tailOf(consoleLog, maxChars).trimEnd()}` : '';
}

/** Keep the last `maxChars` characters of a log, starting at a line boundary when possible. */
export function tailOf(text: string, maxChars = 4000): string {
	if (text.length <= maxChars) return text;
	const cut = text.slice(-maxChars);
	const newline = cut.indexOf('\n');
	return newline >= 0 && newline < cut.length - 1 ? cut.slice(newline + 1) : cut;
}
