/**
 * The guest's kernel log on the host, as it arrives: follows the file the guest copies /dev/kmsg into
 * (the exchange dir's `kmsg`, see init.sh), parses its records, drops those read twice, takes vm-exec's exec
 * markers out (exec-markers.ts) to know which exec each record was logged during, and finds the kernel's
 * reports in it. Memory is bounded: the newest `maxRecords` records and `maxReports` reports are kept,
 * and what was dropped is counted. I/O through node:fs only.
 */
import { watch, type FSWatcher } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { createDebug } from '../debug.js';
import { parseExecMarker } from './exec-markers.js';
import { KernelReportFinder, type KernelReport, type SymbolResolver } from './kernel-reports.js';
import { KmsgSequence, KmsgSplitter, type KernelLogRecord } from './kmsg-record.js';

const debug = createDebug('kernel-log');

/** Records kept by default: about 1 MiB of a typical log, and days of a quiet VM's. */
export const DEFAULT_MAX_RECORDS = 10_000;
/** Reports kept by default (a report is ~50 lines). */
export const DEFAULT_MAX_REPORTS = 1000;
/** Exec spans kept by default (the newest; an exec's records and reports go with its span). */
export const DEFAULT_MAX_EXECS = 10_000;
/** How often a `waitForExecEnd` reads the file again, in case a change notice was missed. */
const WAIT_POLL_MS = 25;

/** A kernel log record, with the execs that were running when it was logged. */
export interface ExecRecord extends KernelLogRecord {
	/** The ids of the execs between whose begin and end markers the record was logged (empty: none ran). */
	execIds: string[];
}

/** A kernel report, with the execs that were running when it began. */
export interface ExecReport extends KernelReport {
	execIds: string[];
}

/** One exec as the kernel log saw it. */
export interface ExecSpan {
	id: string;
	/** The seq of its begin marker. */
	beginSeq: number;
	/** The seq of its end marker, once it has arrived. */
	endSeq?: number;
	/** /proc/sys/kernel/tainted as the previous marker gave it (the `up` or the previous exec's end). */
	taintBefore?: number;
	/** /proc/sys/kernel/tainted right after the exec (from its taint marker). */
	taintAfter?: number;
}

export interface KernelLogStreamOptions {
	/** The file to follow (the VM's `xchg/kmsg`); it may not exist yet. */
	path: string;
	maxRecords?: number;
	maxReports?: number;
	maxExecs?: number;
	/** Names raw addresses in reports (see kernel-reports.ts). */
	resolve?: SymbolResolver;
	/** Called for each report once it is complete. */
	onReport?: (report: ExecReport) => void;
}

/** Counts of what the host does not have. */
export interface KernelLogLosses {
	/** Records the guest's ring buffer lost before they were read (a gap in seq). */
	lost: number;
	/** Records dropped by the host's cap (`maxRecords`), oldest first. */
	droppedRecords: number;
	/** Reports dropped by the host's cap (`maxReports`), oldest first. */
	droppedReports: number;
}

/** Follows a VM's kernel log; `close()` leaves no watcher, timer or open file. */
export class KernelLogStream {
	readonly #path: string;
	readonly #maxRecords: number;
	readonly #maxReports: number;
	readonly #maxExecs: number;
	readonly #onReport: ((report: ExecReport) => void) | undefined;
	readonly #splitter = new KmsgSplitter();
	readonly #sequence = new KmsgSequence();
	readonly #finder: KernelReportFinder;
	#records: ExecRecord[] = [];
	#reports: ExecReport[] = [];
	/** Reports ever found: `mark()` counts in these, not in the kept ones. */
	#reportCount = 0;
	readonly #spans = new Map<string, ExecSpan>();
	readonly #running = new Set<string>();
	#taint: number | undefined;
	#droppedRecords = 0;
	#droppedReports = 0;
	#offset = 0;
	#file: FileHandle | undefined;
	#watcher: FSWatcher | undefined;
	#reading: Promise<void> | undefined;
	#again = false;
	#closed = false;
	readonly #waiters = new Set<() => void>();

	constructor(options: KernelLogStreamOptions) {
		this.#path = options.path;
		this.#maxRecords = options.maxRecords ?? DEFAULT_MAX_RECORDS;
		this.#maxReports = options.maxReports ?? DEFAULT_MAX_REPORTS;
		this.#maxExecs = options.maxExecs ?? DEFAULT_MAX_EXECS;
		this.#onReport = options.onReport;
		this.#finder = new KernelReportFinder(options.resolve ? { resolve: options.resolve } : {});
		// The directory is watched, not the file: the file appears only once the guest is up.
		try {
			this.#watcher = watch(path.dirname(this.#path), (_event, name) => {
				if (name === null || name === path.basename(this.#path)) void this.readNow();
			});
			this.#watcher.on('error', (error) => {
				debug(`watching ${this.#path} failed: ${String(error)}`);
				this.#watcher?.close();
				this.#watcher = undefined;
			});
		} catch (error) {
			debug(`cannot watch ${this.#path}: ${String(error)}`);
		}
		void this.readNow();
	}

	/** Every record kept (the newest `maxRecords`), without vm-exec's markers. */
	records(): readonly ExecRecord[] {
		return this.#records;
	}

	/** Every complete report kept, oldest first. */
	reports(): readonly ExecReport[] {
		return this.#reports;
	}

	/** The report still arriving (its last record may not have come), if any. */
	openReport(): ExecReport | undefined {
		const report = this.#finder.peek();
		return report && this.#attribute(report);
	}

	/** The records logged while the exec ran. */
	execRecords(id: string): ExecRecord[] {
		return this.#records.filter((record) => record.execIds.includes(id));
	}

	/** The reports that began while the exec ran (with the one still arriving, if it did). */
	execReports(id: string): ExecReport[] {
		const open = this.openReport();
		return [...this.#reports, ...(open ? [open] : [])].filter((report) => report.execIds.includes(id));
	}

	/** The exec's span (its markers' seqs and the taint around it), once its begin marker has arrived. */
	execSpan(id: string): ExecSpan | undefined {
		return this.#spans.get(id);
	}

	/** A position in the reports, for `reportsSince` (e.g. when a test begins). */
	mark(): number {
		return this.#reportCount;
	}

	/** The reports found after `mark` (with the one still arriving, unless `includeOpen` is false). */
	reportsSince(mark: number, options: { includeOpen?: boolean } = {}): ExecReport[] {
		const firstKept = this.#reportCount - this.#reports.length;
		const since = this.#reports.slice(Math.max(0, mark - firstKept));
		const open = options.includeOpen === false ? undefined : this.openReport();
		return open ? [...since, open] : since;
	}

	/** /proc/sys/kernel/tainted as the guest's latest marker gave it (undefined before the VM is up). */
	get taint(): number | undefined {
		return this.#taint;
	}

	/** The seq of the newest record read (vm-exec's markers included), -1 before the first. */
	get lastSeq(): number {
		return this.#sequence.next - 1;
	}

	get losses(): KernelLogLosses {
		return { lost: this.#sequence.lost, droppedRecords: this.#droppedRecords, droppedReports: this.#droppedReports };
	}

	/**
	 * Resolves true once the exec's end marker has arrived (every record logged during the exec is then
	 * here) and, unless `taint` is false, its taint marker (logged right after it, see exec-markers.ts);
	 * false when `ms` pass or `signal` aborts first.
	 */
	async waitForExecEnd(id: string, options: { ms: number; signal?: AbortSignal; taint?: boolean }): Promise<boolean> {
		const ended = () => {
			const span = this.#spans.get(id);
			return span?.endSeq !== undefined && (options.taint === false || span.taintAfter !== undefined);
		};
		if (ended()) return true;
		if (this.#closed || options.signal?.aborted) return false;
		return new Promise<boolean>((resolve) => {
			const finish = (value: boolean) => {
				clearTimeout(timer);
				clearInterval(poll);
				options.signal?.removeEventListener('abort', onAbort);
				this.#waiters.delete(check);
				resolve(value);
			};
			const check = () => {
				if (ended()) finish(true);
				else if (this.#closed) finish(false);
			};
			const onAbort = () => finish(false);
			const timer = setTimeout(() => finish(false), options.ms);
			const poll = setInterval(() => void this.readNow(), WAIT_POLL_MS);
			options.signal?.addEventListener('abort', onAbort, { once: true });
			this.#waiters.add(check);
			void this.readNow();
		});
	}

	/**
	 * Resolves true once every exec whose end marker has arrived also has its taint marker (the taint reader
	 * logs it right after the end), false when `ms` pass first: then `taint` is as of the last exec.
	 */
	async waitForTaints(ms: number): Promise<boolean> {
		const settled = () => [...this.#spans.values()].every((span) => span.endSeq === undefined || span.taintAfter !== undefined);
		const until = performance.now() + ms;
		for (;;) {
			await this.readNow();
			if (settled()) return true;
			if (this.#closed || performance.now() >= until) return false;
			await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
		}
	}

	/** Reads what the file has now; resolves once it is parsed. Concurrent calls share one read. */
	readNow(): Promise<void> {
		if (this.#closed) return Promise.resolve();
		if (this.#reading) {
			this.#again = true;
			return this.#reading;
		}
		this.#reading = this.#readLoop().finally(() => {
			this.#reading = undefined;
		});
		return this.#reading;
	}

	/** Stops following the file (what was read stays readable); the report still arriving is completed. */
	async close(): Promise<void> {
		if (this.#closed) return;
		this.#closed = true;
		this.#watcher?.close();
		this.#watcher = undefined;
		await this.#reading?.catch(() => undefined);
		for (const record of this.#splitter.flush()) this.#take(record);
		for (const report of this.#finder.flush()) this.#keepReport(report);
		await this.#file?.close().catch(() => undefined);
		this.#file = undefined;
		for (const waiter of [...this.#waiters]) waiter();
	}

	async #readLoop(): Promise<void> {
		do {
			this.#again = false;
			await this.#readChunks();
		} while (this.#again && !this.#closed);
	}

	async #readChunks(): Promise<void> {
		try {
			this.#file ??= await open(this.#path, 'r');
		} catch {
			return; // Not there yet: the guest creates it once it is up.
		}
		const buffer = Buffer.alloc(64 * 1024);
		for (;;) {
			if (this.#closed) return;
			const { bytesRead } = await this.#file.read(buffer, 0, buffer.length, this.#offset);
			if (bytesRead === 0) return;
			this.#offset += bytesRead;
			// The guest's kernel escapes every byte that is not printable ASCII: latin1 never splits a character.
			for (const record of this.#splitter.push(buffer.toString('latin1', 0, bytesRead))) this.#take(record);
			for (const waiter of [...this.#waiters]) waiter();
		}
	}

	#take(record: KernelLogRecord): void {
		if (!this.#sequence.accept(record)) return;
		for (const report of this.#finder.push(record)) this.#keepReport(report);
		const marker = parseExecMarker(record);
		if (marker?.type === 'up') {
			this.#taint = marker.tainted;
		} else if (marker?.type === 'begin') {
			this.#spans.set(marker.id, {
				id: marker.id,
				beginSeq: record.seq,
				...(this.#taint === undefined ? {} : { taintBefore: this.#taint }),
			});
			this.#running.add(marker.id);
			this.#trimSpans();
		} else if (marker?.type === 'end') {
			const span = this.#spans.get(marker.id);
			if (span) span.endSeq = record.seq;
			this.#running.delete(marker.id);
		} else if (marker?.type === 'taint') {
			const span = this.#spans.get(marker.id);
			if (span) span.taintAfter = marker.tainted;
			this.#taint = marker.tainted;
		} else {
			this.#records.push({ ...record, execIds: [...this.#running] });
			if (this.#records.length > this.#maxRecords) {
				// Trimmed in batches of a tenth, so that a log without end does not copy the array per record.
				const drop = this.#records.length - this.#maxRecords + Math.floor(this.#maxRecords / 10);
				this.#records.splice(0, drop);
				this.#droppedRecords += drop;
			}
		}
	}

	#keepReport(report: KernelReport): void {
		const attributed = this.#attribute(report);
		this.#reports.push(attributed);
		this.#reportCount++;
		if (this.#reports.length > this.#maxReports) {
			this.#reports.shift();
			this.#droppedReports++;
		}
		this.#onReport?.(attributed);
	}

	/** Charged to the execs running at the report's first record: the spans it lies in. */
	#attribute(report: KernelReport): ExecReport {
		const execIds = [...this.#spans.values()]
			.filter((span) => span.beginSeq < report.seq && (span.endSeq === undefined || span.endSeq > report.seq))
			.map((span) => span.id);
		return { ...report, execIds };
	}

	#trimSpans(): void {
		if (this.#spans.size <= this.#maxExecs) return;
		for (const [id, span] of this.#spans) {
			if (this.#spans.size <= this.#maxExecs) break;
			if (span.endSeq !== undefined) this.#spans.delete(id);
		}
	}
}
