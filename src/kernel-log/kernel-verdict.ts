/**
 * The kernel's verdict on a piece of work (an exec, a test): the reports it logged meanwhile and the taint
 * bits it newly set, what a user sees of them, and the public view of a VM's kernel log. Pure.
 */
import type { ExecRecord, ExecReport, KernelLogLosses } from './kernel-log-stream.js';
import type { KernelReport, KernelReportKind } from './kernel-reports.js';
import { decodeTaint, formatTaint, type TaintFlag } from './taint.js';

/** What `vm.kernelLog` gives: the guest kernel's log as records, and the reports found in it. */
export interface KernelLog {
	/**
	 * Every record of the guest's kernel log so far (the newest 10 000), whatever the console loglevel, with
	 * the ids of the execs that ran when each was logged; vm-exec's own markers are not among them.
	 */
	readonly records: readonly ExecRecord[];
	/** Every kernel report (`WARNING:`, `BUG:`, an oops, a lockup, …) found in the records (the newest 1000). */
	readonly reports: readonly ExecReport[];
	/** `/proc/sys/kernel/tainted` after the latest exec (or when the VM was up); undefined for a launcher VM. */
	readonly taint: number | undefined;
	/** What the host does not have: records the guest's ring buffer lost, and those over the caps above. */
	readonly losses: KernelLogLosses;
	/** The seq of the newest record delivered (vm-exec's markers included): reports with a higher `seq` came later. */
	readonly lastSeq: number;
	/** Read what the guest has logged up to now (each exec's result already waits for its own records). */
	sync(): Promise<void>;
	/**
	 * Say that `report` was expected (a test triggers it on purpose): the test fixtures then fail nothing for it,
	 * nor for the taint its kind sets (`W` for a `WARNING`, `D` for an oops, …). `vm.expectKernelReport()`
	 * and the `toHaveLoggedKernelReport` matcher do this.
	 */
	acknowledge(report: KernelReport): void;
	/** Whether `report` was acknowledged. */
	isAcknowledged(report: KernelReport): boolean;
	/** The script of the exec with this id (a report's `execIds`), while the VM remembers it (the last 1000). */
	commandOf(execId: string): string | undefined;
}

/** The log of a VM whose kernel log the host does not see (a launcher VM). */
export const NO_KERNEL_LOG: KernelLog = Object.freeze({
	records: [],
	reports: [],
	taint: undefined,
	losses: Object.freeze({ lost: 0, droppedRecords: 0, droppedReports: 0 }),
	lastSeq: -1,
	sync: async () => {},
	acknowledge: () => {},
	isAcknowledged: () => false,
	commandOf: () => undefined,
});

/** The taint letters each kind of report sets, so that an expected report does not fail a test through its taint. */
const TAINT_OF_KIND: Partial<Record<KernelReportKind, readonly string[]>> = {
	WARNING: ['W'],
	refcount_t: ['W'],
	BUG: ['D'],
	Oops: ['D'],
	'general protection fault': ['D'],
	'list corruption': ['D', 'W'],
	'soft lockup': ['L'],
	'hard lockup': ['W'],
	'hung task': [],
	'RCU stall': [],
};

/** The failing taint bits that no acknowledged report explains. */
export function unexplainedTaint(failing: readonly TaintFlag[], acknowledged: readonly KernelReport[]): TaintFlag[] {
	const explained = new Set(acknowledged.flatMap((report) => TAINT_OF_KIND[report.kind] ?? []));
	// A BUG() kills the task and is an oops: its WARNING-like `cut here` sets W on some paths too.
	if (acknowledged.some((report) => report.title.startsWith('BUG:') || report.kind === 'BUG')) explained.add('W');
	return failing.filter((flag) => !explained.has(flag.letter));
}

/** The taint before and after a piece of work, and the bits it newly set. */
export interface TaintChange {
	/** `/proc/sys/kernel/tainted` before (undefined when unknown). */
	before: number | undefined;
	after: number | undefined;
	/** The bits newly set, with their letters and meanings. */
	added: TaintFlag[];
	/** Those of `added` that count as a failure (`W`, `D`, `L`, `B`, …; not `O` or `E`, which a test's own module sets). */
	failing: TaintFlag[];
}

/** The change from `before` to `after`. */
export function taintChange(before: number | undefined, after: number | undefined): TaintChange {
	if (after === undefined) return { before, after, added: [], failing: [] };
	const had = new Set(decodeTaint(before ?? 0).map((flag) => flag.bit));
	const added = decodeTaint(after).filter((flag) => !had.has(flag.bit));
	return { before, after, added, failing: added.filter((flag) => flag.failure) };
}

/** What the kernel said about a piece of work: a failure when there is a report or a failing taint. */
export interface KernelVerdict {
	reports: readonly KernelReport[];
	taint: TaintChange;
}

export function isKernelFailure(verdict: KernelVerdict): boolean {
	return verdict.reports.length > 0 || verdict.taint.failing.length > 0;
}

/** Names the exec a report was logged during (`KernelLog.commandOf`). */
export type CommandOf = (execId: string) => string | undefined;

function describeExecs(execIds: readonly string[] | undefined, commandOf: CommandOf | undefined): string | undefined {
	if (execIds === undefined || commandOf === undefined) return undefined;
	if (execIds.length === 0) return 'logged while no exec ran (a background process, a timer or the kernel itself)';
	const named = execIds.map((id) => {
		const command = commandOf(id);
		return command === undefined ? `exec ${id}` : `\`${oneLine(command)}\``;
	});
	return `logged during ${named.join(' and ')}`;
}

function oneLine(script: string, maxChars = 120): string {
	const text = script.trim().replace(/\s*\n\s*/g, '; ');
	return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/** A report in a few lines: title, module, where, the first frames, the taint it printed, and the exec it was logged during. */
export function describeKernelReport(report: KernelReport & { execIds?: readonly string[] }, maxFrames = 8, commandOf?: CommandOf): string {
	const lines = [`${report.kind}: ${report.title}`];
	const during = describeExecs(report.execIds, commandOf);
	if (during) lines.push(`  ${during}`);
	if (report.message && !report.title.includes(report.message)) lines.push(`  message: ${report.message}`);
	if (report.module) lines.push(`  module: ${report.module}`);
	if (report.rip) lines.push(`  at: ${formatFrame(report.rip)}`);
	const frames = report.callTrace.filter((frame) => !frame.unreliable).slice(0, maxFrames);
	if (frames.length > 0) lines.push('  call trace:', ...frames.map((frame) => `    ${formatFrame(frame)}`));
	if (report.taint) lines.push(`  tainted: ${report.taint}`);
	lines.push(`  logged at ${(report.timeUs / 1e6).toFixed(6)} s of the guest's clock`);
	return lines.join('\n');
}

function formatFrame(frame: KernelReport['callTrace'][number]): string {
	const name = frame.symbol
		? `${frame.symbol}${frame.offset === undefined ? '' : `+0x${frame.offset.toString(16)}`}${frame.size === undefined ? '' : `/0x${frame.size.toString(16)}`}`
		: (frame.address ?? '?');
	return frame.module ? `${name} [${frame.module}]` : name;
}

/** A taint change in words: `W (kernel issued warning), D (kernel died recently, …)`. */
export function describeTaint(flags: readonly TaintFlag[]): string {
	return flags.map((flag) => `${flag.letter} (${flag.meaning})`).join(', ');
}

/** The whole verdict in words, for an error message; empty when it is no failure. */
export function describeKernelVerdict(verdict: KernelVerdict, commandOf?: CommandOf): string {
	const parts = verdict.reports.map((report) => describeKernelReport(report, 8, commandOf));
	// The taint the reports above set (`W` for a WARNING, …) says nothing more: only the rest is worth a line.
	const unexplained = unexplainedTaint(verdict.taint.failing, verdict.reports);
	if (unexplained.length > 0) {
		parts.push(`The kernel became tainted: ${describeTaint(unexplained)} (now ${formatTaint(verdict.taint.after ?? 0) || 'none'}).`);
	}
	return parts.join('\n');
}

/** `WARNING`, `BUG`, … as a user spells it, case-insensitively, or any kind. */
export function matchesKind(report: KernelReport, kind: KernelReportKind | string | undefined): boolean {
	return kind === undefined || report.kind.toLowerCase() === kind.toLowerCase();
}

/** Whether a report matches a pattern: its title, message or whole text. */
export function matchesReport(report: KernelReport, pattern: RegExp | string | undefined): boolean {
	if (pattern === undefined) return true;
	const test = (text: string | undefined) =>
		text !== undefined && (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
	return test(report.title) || test(report.message) || test(report.text);
}

/** A record as `dmesg` prints it: `[    1.234567] text`. */
export function formatKernelRecord(record: { timeUs: number; text: string }): string {
	return `[${(record.timeUs / 1e6).toFixed(6).padStart(12)}] ${record.text}`;
}
