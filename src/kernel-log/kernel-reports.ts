/**
 * Finding the kernel's reports (splats) in its log records: a `WARNING:` with its call trace, a `BUG:` or
 * an oops, a refcount or list corruption, a lockup, a hung task, an RCU stall, a panic. Each report is
 * the run of records from its first line (`------------[ cut here ]------------`, a `====` rule, or the
 * title line itself) to its end: the kernel's `---[ end trace … ]---` (for an oops, the registers it prints
 * again after it), the next record that is not part of a report (a line of user space, a `pr_info` of
 * another driver), the start of the next report, or the end of the input. Parsed from that text: the kind,
 * the title line, the module it points at, the RIP and the call trace, the taint letters. Pure: naming raw
 * addresses is the caller's resolver's job.
 */
import { KERNEL_FACILITY, type KernelLogRecord } from './kmsg-record.js';

/** What the kernel reported (the BUG subkinds, such as a NULL pointer dereference, are in the title). */
export type KernelReportKind =
	| 'WARNING'
	| 'BUG'
	| 'Oops'
	| 'general protection fault'
	| 'UBSAN'
	| 'refcount_t'
	| 'list corruption'
	| 'KASAN'
	| 'kmemleak'
	| 'lockdep'
	| 'soft lockup'
	| 'hard lockup'
	| 'hung task'
	| 'RCU stall'
	| 'Kernel panic';

/** One frame of a call trace (` ? vfs_write+0xc4/0x3f0 [module]`). */
export interface KernelFrame {
	/** The function, when the kernel (or the resolver) named it. */
	symbol?: string;
	offset?: number;
	size?: number;
	/** The module the function is in; undefined for the core kernel. */
	module?: string;
	/** `?`: a stale return address found on the stack, not part of the unwound chain. */
	unreliable: boolean;
	/** The raw address, when the kernel printed one (`[<ffffffff81234567>]`, `RIP: 0010:0xffff…`). */
	address?: string;
}

/** One kernel report. */
export interface KernelReport {
	kind: KernelReportKind;
	/** The kernel's title line (`BUG: kernel NULL pointer dereference, address: 0000000000000000`). */
	title: string;
	/** The text a `WARN(cond, fmt…)` printed between `cut here` and its `WARNING:` line, when there is some. */
	message?: string;
	/**
	 * The module the report points at: the `[module]` of the RIP, else of the `WARNING: … at` location, else
	 * of the first reliable frame that has one. `Modules linked in:` lists every module, not the culprit.
	 */
	module?: string;
	/** Where the CPU was (`RIP: 0010:…` on x86, `pc : …` on arm64), when the report says. */
	rip?: KernelFrame;
	/** The first call trace of the report. */
	callTrace: KernelFrame[];
	/** The taint letters the report printed (`Tainted: G        W  OE` → `WOE`); empty for `Not tainted` or none printed. */
	taint: string;
	/** The kernel's clock at the report's first record, in microseconds since boot. */
	timeUs: number;
	/** The seq of the report's first record. */
	seq: number;
	/** The seq of its last record. */
	lastSeq: number;
	/** The report's lines, as the kernel printed them. */
	text: string;
}

/** Names a raw kernel address (`0xffffffff81234567`), e.g. from the kernel's symbol table; undefined when it cannot. */
export type SymbolResolver = (address: bigint) => { symbol: string; offset?: number; size?: number; module?: string } | undefined;

/** Lines that only open a report: its kind comes with a later line. */
const OPENER = /^(?:------------\[ cut here \]------------|={20,})$/;

/** Title lines, in the order they are tried; the first match gives the kind. */
const TITLES: ReadonlyArray<readonly [RegExp, KernelReportKind]> = [
	[/^BUG: KASAN: /, 'KASAN'],
	[/^UBSAN: /, 'UBSAN'],
	[/^refcount_t: /, 'refcount_t'],
	[/^list_(?:add|del) corruption/, 'list corruption'],
	[/^(?:kmemleak: )?\d+ new suspected memory leaks|^(?:kmemleak: )?unreferenced object 0x/, 'kmemleak'],
	[
		/^WARNING: (?:possible (?:recursive|circular) locking|possible irq lock inversion|inconsistent lock state|suspicious RCU usage|bad unlock balance|lock held when returning|.*lock order detected|held lock freed|nested lock was not taken)|^BUG: (?:held lock freed|MAX_LOCKDEP)/,
		'lockdep',
	],
	[/BUG: soft lockup - CPU#\d+ stuck/, 'soft lockup'],
	[/Watchdog detected hard LOCKUP on cpu \d+/, 'hard lockup'],
	[/^INFO: task \S.* blocked for more than \d+ seconds/, 'hung task'],
	[/^(?:rcu: )?INFO: rcu_\w+ (?:self-)?detected (?:expedited )?stalls?/, 'RCU stall'],
	[/^Kernel panic - not syncing/, 'Kernel panic'],
	[/^WARNING: (?:CPU: \d+ PID: \d+ at |at )/, 'WARNING'],
	[/^(?:BUG: |kernel BUG at |Unable to handle kernel )/, 'BUG'],
	[/^general protection fault/, 'general protection fault'],
	[/^(?:Internal error: )?Oops\b/, 'Oops'],
];

/** Lines that continue a report whatever their level: frames, registers, the parts of a report's layout. */
const BODY =
	/^(?:\s|Call [Tt]race:|task:|CPU: |Hardware name|RIP:|RSP:|R[A-Z0-9]{2}:|[EFGC]S:|CR2:|DR[0-7]:|PKRU:|Code:|Modules linked in|---\[|Stack:|stack backtrace|Showing|NMI backtrace|Sending NMI|irq event stamp|hardirqs last|softirqs last|Preemption disabled|Kernel Offset|Tainted:|"echo 0|pc :|lr :|sp :|x\d+ *:|Mem abort|ESR =|EC =|SET =|FAR =|Data abort|ISV =|CM =|[a-z]+ pgtable|\[[0-9a-f]+\] pgd=|#PF:|PGD |invalid opcode|Oops|page:|flags:|raw:|page dumped|index |shift exponent|signed integer|load of value|member access|\(|\)|-> #|Chain exists|other info|Possible unsafe|CPU0|\*\*\*|rcu: |\t|\{|[0-9]+ locks? held|#\d+:|The buggy address|Memory state|Allocated by|Freed by|Read of size|Write of size|addr |ffff)/;

const FRAME =
	/^\s*(\? )?(?:\[<([0-9a-f]+)>\] )?(?:(\? )?([^\s+?][^\s+]*)\+0x([0-9a-f]+)\/0x([0-9a-f]+)(?: \[([^\]\s]+)\])?|(0x[0-9a-f]+))\s*$/;
const TRACE_MARKER = /^\s*<\/?(?:TASK|IRQ|NMI|SOFTIRQ|EOI)>\s*$/;

/** One frame from its text (`? vfs_write+0xc4/0x3f0 [mod]`, `[<ffffffff81000000>] f+0x1/0x2`, `0xffffffffc0001234`). */
export function parseFrame(text: string, resolve?: SymbolResolver): KernelFrame | undefined {
	const match = FRAME.exec(text);
	if (!match) return undefined;
	const frame: KernelFrame = { unreliable: Boolean(match[1] ?? match[3]) };
	if (match[2]) frame.address = match[2];
	if (match[4]) {
		frame.symbol = match[4];
		frame.offset = Number.parseInt(match[5]!, 16);
		frame.size = Number.parseInt(match[6]!, 16);
		if (match[7]) frame.module = match[7];
	} else if (match[8]) {
		frame.address = match[8].slice(2);
	}
	if (!frame.symbol && frame.address && resolve) Object.assign(frame, resolve(BigInt(`0x${frame.address}`)));
	return frame;
}

interface Draft {
	records: KernelLogRecord[];
	kind?: KernelReportKind;
	titleIndex?: number;
	/** A `CPU: N PID:` line was seen: a later title line starts a report of its own. */
	sawCpu: boolean;
	/** An oops (`Oops:`, `invalid opcode:`, a GPF with `[#N]`): the registers come again after its end line. */
	oops: boolean;
	/** Past the end line: only the oops's reprinted registers still belong to it. */
	ended: boolean;
	/** Opened by a `====` rule: the next one closes it. */
	ruled: boolean;
}

function titleKind(text: string): KernelReportKind | undefined {
	return TITLES.find(([pattern]) => pattern.test(text))?.[1];
}

/**
 * Finds reports in records as they arrive: `push` a record, get the reports it completed. A report is
 * complete at its end line, at the first record that is not part of it, at the next report, or at `flush`.
 */
export class KernelReportFinder {
	#draft: Draft | undefined;
	readonly #resolve: SymbolResolver | undefined;

	constructor(options: { resolve?: SymbolResolver } = {}) {
		this.#resolve = options.resolve;
	}

	/**
	 * Feeds one record. Lines from user space (facility 1: vm-exec's exec markers, a script's echo to
	 * /dev/kmsg) are skipped: they never open a report, and do not cut one that another CPU is printing.
	 */
	push(record: KernelLogRecord): KernelReport[] {
		const out: KernelReport[] = [];
		if (record.facility !== KERNEL_FACILITY) return out;
		const text = record.text;
		const draft = this.#draft;
		if (draft && this.#continues(draft, record)) {
			this.#add(draft, record);
			if (this.#isEnd(draft, text)) out.push(...this.flush());
			return out;
		}
		if (draft) out.push(...this.flush());
		const kind = titleKind(text);
		if (kind || OPENER.test(text)) {
			this.#draft = { records: [], sawCpu: false, oops: false, ended: false, ruled: text.startsWith('=') };
			this.#add(this.#draft, record);
			// A one-line report (kmemleak's count) ends at once.
			if (kind === 'kmemleak' && /new suspected memory leaks/.test(text)) out.push(...this.flush());
		}
		return out;
	}

	/** The report in progress, if any (complete as far as the records so far go). */
	peek(): KernelReport | undefined {
		return this.#draft?.kind ? buildReport(this.#draft, this.#resolve) : undefined;
	}

	/** Ends the report in progress (a draft that never got a title line is no report). */
	flush(): KernelReport[] {
		const draft = this.#draft;
		this.#draft = undefined;
		return draft?.kind ? [buildReport(draft, this.#resolve)] : [];
	}

	#continues(draft: Draft, record: KernelLogRecord): boolean {
		const text = record.text;
		if (draft.ended) return /^(?:RIP|RSP|R[A-Z0-9]{2}|[EFGC]S|CR2|Code|pc |lr |sp |x\d+ *|DR[0-7]|PKRU):/.test(text);
		const kind = titleKind(text);
		if (kind) {
			// A title line before the report's CPU line is the same event told further (an Oops after its
			// BUG:, kernel BUG at after list_add corruption, WARNING: after refcount_t:); after it, a new one.
			// A panic is always a report of its own, and so is each of kmemleak's objects (and its count).
			return !draft.sawCpu && ![kind, draft.kind].some((one) => one === 'Kernel panic' || one === 'kmemleak');
		}
		if (OPENER.test(text)) return draft.ruled || !draft.sawCpu;
		// Before its title, a WARN's message (any level); after it, what the kernel prints at warning level
		// or worse, and the lines of a report's layout at any level (a hung task's trace is KERN_INFO).
		if (draft.kind === undefined) return draft.records.length < 8;
		return record.level <= 4 || BODY.test(text);
	}

	#add(draft: Draft, record: KernelLogRecord): void {
		draft.records.push(record);
		const text = record.text;
		if (draft.kind === undefined) {
			const kind = titleKind(text);
			if (kind) {
				draft.kind = kind;
				draft.titleIndex = draft.records.length - 1;
			}
		}
		if (/^CPU: \d+ PID: \d+/.test(text)) draft.sawCpu = true;
		if (/^(?:Oops|Internal error: Oops|invalid opcode:|general protection fault).*\[#\d+\]/.test(text)) draft.oops = true;
		if (/^---\[ end trace /.test(text)) draft.ended = true;
	}

	#isEnd(draft: Draft, text: string): boolean {
		if (/^---\[ end Kernel panic/.test(text)) return true;
		if (/^---\[ end trace /.test(text)) return !draft.oops;
		// After an oops's end line, the registers end with CR2 (x86); arm64 reprints none.
		if (draft.ended && /^CR2:/.test(text)) return true;
		return draft.ruled && draft.kind !== undefined && draft.records.length > 1 && /^={20,}$/.test(text);
	}
}

/** Every report in a list of records. */
export function findKernelReports(records: Iterable<KernelLogRecord>, options: { resolve?: SymbolResolver } = {}): KernelReport[] {
	const finder = new KernelReportFinder(options);
	const reports: KernelReport[] = [];
	for (const record of records) reports.push(...finder.push(record));
	reports.push(...finder.flush());
	return reports;
}

function buildReport(draft: Draft, resolve: SymbolResolver | undefined): KernelReport {
	const lines = draft.records.map((record) => record.text);
	const titleIndex = draft.titleIndex ?? 0;
	const title = lines[titleIndex]!;
	const kind = draft.kind!;
	const report: KernelReport = {
		kind,
		title,
		callTrace: parseCallTrace(lines, resolve),
		taint: parseTaintField(lines),
		timeUs: draft.records[0]!.timeUs,
		seq: draft.records[0]!.seq,
		lastSeq: draft.records.at(-1)!.seq,
		text: lines.join('\n'),
	};
	const message = lines.slice(OPENER.test(lines[0]!) ? 1 : 0, titleIndex).join('\n');
	if (message) report.message = message;
	const rip = parseRip(lines, resolve);
	if (rip) report.rip = rip;
	const at = kind === 'WARNING' ? parseFrame(title.replace(/^WARNING: .* at \S+ /, ''), resolve) : undefined;
	const module = rip?.module ?? at?.module ?? report.callTrace.find((frame) => !frame.unreliable && frame.module)?.module;
	if (module) report.module = module;
	return report;
}

/** The first kernel-mode `RIP: 0010:…` (x86) or `pc : …` (arm64) line's location. */
function parseRip(lines: string[], resolve: SymbolResolver | undefined): KernelFrame | undefined {
	for (const line of lines) {
		const match = /^RIP: (?:([0-9a-f]{4}):)?(.*)$/.exec(line) ?? /^pc : (.*?)(?:\s+$|$)/.exec(line);
		if (!match) continue;
		const [cs, where] = match.length === 3 ? [match[1], match[2]!] : [undefined, match[1]!];
		// CS 0033 (or 0023) is user space: the registers of the process that made the system call.
		if (cs !== undefined && cs !== '0010') continue;
		const frame = parseFrame(where.trim(), resolve);
		if (frame) return frame;
	}
	return undefined;
}

/** The frames of the first `Call Trace:`, across `<IRQ>`/`<TASK>` markers, to its first line that is no frame. */
function parseCallTrace(lines: string[], resolve: SymbolResolver | undefined): KernelFrame[] {
	const start = lines.findIndex((line) => /^Call [Tt]race:|^\s*backtrace:/.test(line.replace(/^kmemleak: /, '')));
	if (start < 0) return [];
	const frames: KernelFrame[] = [];
	for (const raw of lines.slice(start + 1)) {
		const line = raw.replace(/^kmemleak: /, '');
		if (TRACE_MARKER.test(line)) continue;
		const frame = parseFrame(line, resolve);
		if (!frame) break;
		frames.push(frame);
	}
	return frames;
}

/** The letters of the first `Tainted:` field (`Tainted: G        W  OE      6.1.0 #1` → `WOE`). */
function parseTaintField(lines: string[]): string {
	for (const line of lines) {
		const match = /Tainted: ([A-Z ]+?) +\d/.exec(line);
		if (match) return match[1]!.replace(/[G ]/g, '');
		if (/\bNot tainted\b/.test(line)) return '';
	}
	return '';
}
