/**
 * `run_kselftest.sh`'s two-level output (pure): the runner's own TAP (one `TAP version 13` / `1..N` per
 * collection, `ok N selftests: coll: name` per selftest, `# SKIP`, `# TIMEOUT 45 seconds`, `# exit=1`),
 * and between each selftest's `# selftests: coll: name` header and its result line, the selftest's own
 * output (KTAP, mostly) prefixed with `# ` by the runner.
 */
import { TapParser } from './parser.js';
import type { TapDocument, TapEvent } from './types.js';

/** How `run_kselftest.sh` judged one selftest (it judges by the exit status: 0 pass, 4 skip, 124 timeout). */
export type KselftestStatus = 'pass' | 'fail' | 'skip' | 'timeout';

export interface KselftestRunResult {
	collection: string;
	test: string;
	/** Its number in its collection's runner TAP. */
	number: number;
	status: KselftestStatus;
	/** The runner's note after `#`: `exit=1`, `TIMEOUT 45 seconds`, `SKIP`. */
	note: string | undefined;
	/** The selftest's own output, without the runner's `# ` prefix. */
	output: string;
	/** That output parsed as TAP/KTAP (a selftest that prints none gives a document with no cases). */
	tap: TapDocument;
}

const HEADER = /^# selftests: (\S+): (\S+)\s*$/;
const RESULT = /^(not ok|ok) (\d+) selftests: (\S+): (\S+?)(?:\s+#\s*(.*?))?\s*$/;

function statusOf(ok: boolean, note: string | undefined): KselftestStatus {
	if (note !== undefined && /^skip/i.test(note)) return 'skip';
	if (note !== undefined && /^timeout/i.test(note)) return 'timeout';
	return ok ? 'pass' : 'fail';
}

function unprefix(line: string): string {
	if (line.startsWith('# ')) return line.slice(2);
	return line === '#' ? '' : line;
}

/** Reads the runner's output as it arrives; calls `onResult` as each selftest's result line comes. */
export class KselftestRunParser {
	readonly results: KselftestRunResult[] = [];
	private partial = '';
	private open: { collection: string; test: string; lines: string[]; tap: TapParser } | undefined;
	private readonly onResult: ((result: KselftestRunResult) => void) | undefined;
	private readonly onTapEvent: ((event: TapEvent, selftest: { collection: string; test: string }) => void) | undefined;

	/**
	 * `onResult` is called as each selftest's result line comes; `onTapEvent` as each case of a selftest's
	 * own (nested) TAP finishes, for progress while the selftest still runs.
	 */
	constructor(
		onResult?: (result: KselftestRunResult) => void,
		onTapEvent?: (event: TapEvent, selftest: { collection: string; test: string }) => void,
	) {
		this.onResult = onResult;
		this.onTapEvent = onTapEvent;
	}

	write(chunk: string | Buffer): void {
		const lines = (this.partial + (typeof chunk === 'string' ? chunk : chunk.toString('utf8'))).split('\n');
		this.partial = lines.pop() ?? '';
		for (const line of lines) this.processLine(line.replace(/\r$/, ''));
	}

	/** The run is over: a selftest still open (the run was killed inside it) becomes a failure. */
	end(): KselftestRunResult[] {
		if (this.partial !== '') this.processLine(this.partial);
		this.partial = '';
		if (this.open) {
			const { collection, test } = this.open;
			this.finish(collection, test, 0, 'fail', 'no result line: the run ended inside it (crashed, or cut off by a timeout)');
		}
		return this.results;
	}

	private processLine(line: string): void {
		const header = HEADER.exec(line);
		if (header) {
			if (this.open) this.finish(this.open.collection, this.open.test, 0, 'fail', 'no result line: the next selftest began');
			const selftest = { collection: header[1]!, test: header[2]! };
			const listener = this.onTapEvent;
			const tap = new TapParser(listener ? (event) => listener(event, selftest) : undefined);
			this.open = { ...selftest, lines: [], tap };
			return;
		}
		const result = RESULT.exec(line);
		if (result) {
			const [, verdict, number, collection, test, note] = result;
			this.finish(collection!, test!, Number(number), statusOf(verdict === 'ok', note), note);
			return;
		}
		if (!this.open) return;
		const text = unprefix(line);
		this.open.lines.push(text);
		this.open.tap.write(`${text}\n`);
	}

	private finish(collection: string, test: string, number: number, status: KselftestStatus, note: string | undefined): void {
		const open = this.open && this.open.collection === collection && this.open.test === test ? this.open : undefined;
		this.open = undefined;
		const output = open && open.lines.length > 0 ? `${open.lines.join('\n')}\n` : '';
		const tap = open ? open.tap.end() : new TapParser().end();
		const result: KselftestRunResult = { collection, test, number, status, note, output, tap };
		this.results.push(result);
		this.onResult?.(result);
	}
}

/** Parse a whole `run_kselftest.sh` output. */
export function parseKselftestRun(text: string | Buffer): KselftestRunResult[] {
	const parser = new KselftestRunParser();
	parser.write(text);
	return parser.end();
}
