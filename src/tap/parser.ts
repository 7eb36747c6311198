/**
 * An incremental TAP 13/14 and KTAP v1 parser (pure): feed it chunks as a program prints them, get an
 * event as each case's result line arrives, and the whole tree at the end. `parseTap()` is the
 * whole-text form.
 *
 * Nesting is by indentation, as both specs have it: a deeper-indented document (KTAP's `    KTAP version 1`,
 * `    # Subtest: name` …, or TAP 14's indented subtest) is the subtest of the next result line at the level
 * above. Lines that are not TAP (a program's own output) and comments are kept as the diagnostics of the
 * next result line, where kselftest and KTAP print them. The parser never throws: what is wrong with the
 * stream (no plan, a short plan, a crash mid-subtest) is recorded in each document's `problems`.
 */
import { StringDecoder } from 'node:string_decoder';
import { classifyLine, isStructural, measureIndent, type TapLine } from './line.js';
import type { TapCase, TapDirective, TapDocument, TapEvent, TapStatus } from './types.js';

interface Frame {
	doc: TapDocument;
	indent: number;
	/** Diagnostics waiting for the next result line of this level. */
	pending: string[];
	/** A finished nested document waiting for the result line it belongs to. */
	child: TapDocument | undefined;
	/** A `# Subtest: name` printed at this level (node's style) for the next nested document. */
	nextChildName: string | undefined;
	/** The last result line, while a YAML block may still follow it. */
	yamlCandidate: TapCase | undefined;
}

interface OpenYaml {
	target: TapCase;
	indent: number;
	lines: string[];
}

export function createDocument(): TapDocument {
	return { version: undefined, name: undefined, plan: undefined, cases: [], bailOut: undefined, trailer: [], problems: [] };
}

/** What a result line counts as. */
export function statusOf(ok: boolean, directive: TapDirective | undefined): TapStatus {
	switch (directive?.kind) {
		case 'skip':
			return 'skip';
		case 'todo':
			return 'todo';
		case 'xfail':
			return 'xfail';
		case 'timeout':
		case 'error':
			return 'fail';
		default:
			return ok ? 'pass' : 'fail';
	}
}

/** The problems of a document that has ended (its result line came, or the stream ended). */
function checkPlan(doc: TapDocument): void {
	if (doc.bailOut !== undefined) return;
	if (!doc.plan) {
		doc.problems.push(doc.cases.length === 0 ? 'no plan and no results' : `no plan (${doc.cases.length} results)`);
		return;
	}
	const planned = doc.plan.end - doc.plan.start + 1;
	if (doc.plan.skipAll !== undefined || planned <= 0) {
		if (doc.cases.length > 0) doc.problems.push(`planned no cases (1..0), but ${doc.cases.length} ran`);
		return;
	}
	if (doc.cases.length !== planned) doc.problems.push(`planned ${planned} cases, ${doc.cases.length} ran`);
}

/** Parses one stream; `write()` the chunks, then `end()` for the tree. */
export class TapParser {
	readonly document: TapDocument = createDocument();
	private readonly stack: Frame[] = [];
	private readonly listener: ((event: TapEvent) => void) | undefined;
	private partial = '';
	// A chunk of bytes may end inside a UTF-8 character: decode across chunks.
	private readonly decoder = new StringDecoder('utf8');
	private lineNumber = 0;
	private yaml: OpenYaml | undefined;
	private bailedOut = false;
	private ended = false;

	/** `onEvent` is called with each case as its result line arrives (and on a plan or a `Bail out!`). */
	constructor(onEvent?: (event: TapEvent) => void) {
		this.listener = onEvent;
		this.stack.push(this.frame(this.document, 0));
	}

	/** Feed the next chunk of the stream (any split: a line may arrive in pieces). */
	write(chunk: string | Buffer): void {
		if (this.ended) throw new Error('TapParser.write() after end()');
		const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
		const lines = text.split('\n');
		this.partial = lines.pop() ?? '';
		for (const line of lines) this.processLine(line.replace(/\r$/, ''));
	}

	/** The stream is over (the program exited, crashed or was killed): close what is open and return the tree. */
	end(): TapDocument {
		if (this.ended) return this.document;
		this.partial += this.decoder.end();
		if (this.partial !== '') this.processLine(this.partial.replace(/\r$/, ''));
		this.partial = '';
		this.closeYaml();
		this.ended = true;
		for (;;) {
			const frame = this.top();
			if (frame.child) this.orphan(frame, frame.child, 'the stream ended inside it (crashed or cut off?)');
			this.finishFrame(frame);
			if (this.stack.length === 1) break;
			this.stack.pop();
			this.adoptChild(this.top(), frame.doc);
		}
		return this.document;
	}

	private frame(doc: TapDocument, indent: number): Frame {
		return { doc, indent, pending: [], child: undefined, nextChildName: undefined, yamlCandidate: undefined };
	}

	private top(): Frame {
		return this.stack[this.stack.length - 1]!;
	}

	private path(): string[] {
		return this.stack.slice(1).map((frame, index) => frame.doc.name ?? `subtest ${index + 1}`);
	}

	private emit(event: TapEvent): void {
		this.listener?.(event);
	}

	private processLine(raw: string): void {
		this.lineNumber += 1;
		if (this.bailedOut) {
			if (raw.trim() !== '') this.document.trailer.push(raw);
			return;
		}
		const indent = measureIndent(raw);
		const content = raw.slice(raw.length - raw.trimStart().length);
		const line = classifyLine(content);
		if (this.continueYaml(raw, indent, line)) return;
		if (line.kind === 'yaml-start' && this.startYaml(indent)) return;
		// kselftest's `size` prints a comment between its result line and the YAML block: let comments through.
		if (!(line.kind === 'other' && content.startsWith('#'))) this.top().yamlCandidate = undefined;
		if (line.kind === 'blank' || line.kind === 'pragma') return;
		this.selectFrame(indent, line);
		const frame = this.top();
		const text = raw.slice(Math.min(frame.indent, indent));
		this.handle(frame, line, text);
	}

	private continueYaml(raw: string, indent: number, line: TapLine): boolean {
		const yaml = this.yaml;
		if (!yaml) return false;
		if (line.kind === 'yaml-end' && indent === yaml.indent) {
			this.closeYaml();
			return true;
		}
		if (line.kind === 'blank' || indent >= yaml.indent) {
			yaml.lines.push(raw.slice(Math.min(yaml.indent, indent)));
			return true;
		}
		// Dedented without `...`: the block was never closed; what follows is the stream again.
		this.closeYaml();
		return false;
	}

	private startYaml(indent: number): boolean {
		const frame = this.top();
		const target = frame.yamlCandidate;
		if (!target || indent < frame.indent) return false;
		frame.yamlCandidate = undefined;
		this.yaml = { target, indent, lines: [] };
		return true;
	}

	private closeYaml(): void {
		if (!this.yaml) return;
		this.yaml.target.yaml = this.yaml.lines.join('\n');
		this.yaml = undefined;
	}

	/** Open a nested document for a deeper structural line, or close nested ones for a shallower line. */
	private selectFrame(indent: number, line: TapLine): void {
		while (this.stack.length > 1 && indent < this.top().indent) {
			const frame = this.stack.pop()!;
			const parent = this.top();
			if (indent > parent.indent) {
				// Between the two levels: an indentation of its own; keep the child open at this depth.
				this.stack.push(frame);
				return;
			}
			if (frame.child) this.orphan(frame, frame.child, 'its parent ended first');
			this.adoptChild(parent, frame.doc);
			// A nested document's plan is checked when its result line comes (it may be printed last).
			this.pendingFrames.set(frame.doc, frame);
		}
		const frame = this.top();
		if (indent > frame.indent && isStructural(line)) {
			const doc = createDocument();
			doc.name = frame.nextChildName;
			frame.nextChildName = undefined;
			if (frame.child) this.orphan(frame, frame.child, 'a second subtest began before it');
			this.stack.push(this.frame(doc, indent));
		}
	}

	private readonly pendingFrames = new Map<TapDocument, Frame>();

	private adoptChild(parent: Frame, doc: TapDocument): void {
		if (parent.child && parent.child !== doc) this.orphan(parent, parent.child, 'a second subtest began before it');
		parent.child = doc;
	}

	/** A nested document that no result line claimed: keep its cases as a failed case of their own. */
	private orphan(frame: Frame, doc: TapDocument, why: string): void {
		frame.child = undefined;
		const held = this.pendingFrames.get(doc);
		if (held) this.finishFrame(held);
		const name = doc.name ?? 'unnamed subtest';
		frame.doc.problems.push(`subtest "${name}" has no result line: ${why}`);
		this.addCase(frame, {
			ok: false,
			number: frame.doc.cases.length + 1,
			name,
			directive: undefined,
			note: 'no result line',
			status: 'fail',
			diagnostics: frame.pending.splice(0),
			yaml: undefined,
			subtest: doc,
			line: this.lineNumber,
		});
	}

	private finishFrame(frame: Frame): void {
		this.pendingFrames.delete(frame.doc);
		frame.doc.trailer.push(...frame.pending.splice(0));
		checkPlan(frame.doc);
	}

	private addCase(frame: Frame, testCase: TapCase): void {
		frame.doc.cases.push(testCase);
		this.emit({ type: 'case', case: testCase, path: this.path() });
	}

	private handle(frame: Frame, line: TapLine, text: string): void {
		const doc = frame.doc;
		switch (line.kind) {
			case 'version':
				if (doc.version === undefined && doc.cases.length === 0) doc.version = line.version;
				else if (doc.cases.length > 0) doc.problems.push(`a second version line (${line.version}) at line ${this.lineNumber}`);
				return;
			case 'plan':
				if (!doc.plan) {
					doc.plan = line.plan;
					this.emit({ type: 'plan', plan: line.plan, path: this.path() });
				} else if (doc.plan.end !== line.plan.end || doc.plan.start !== line.plan.start) {
					doc.problems.push(`a second plan ${line.plan.start}..${line.plan.end} at line ${this.lineNumber}`);
				}
				// The same plan again is what a forked kselftest child prints on exit: harmless.
				return;
			case 'subtest':
				if (this.stack.length > 1 && doc.name === undefined && doc.cases.length === 0 && frame.child === undefined) doc.name = line.name;
				else frame.nextChildName = line.name;
				return;
			case 'bail-out':
				doc.bailOut = line.reason;
				if (doc !== this.document) this.document.bailOut ??= line.reason;
				this.bailedOut = true;
				this.emit({ type: 'bail-out', reason: line.reason, path: this.path() });
				return;
			case 'result':
				this.handleResult(frame, line);
				return;
			default:
				frame.pending.push(text);
		}
	}

	private handleResult(frame: Frame, line: Extract<TapLine, { kind: 'result' }>): void {
		const doc = frame.doc;
		const last = doc.cases.at(-1);
		const expected = last ? last.number + 1 : (doc.plan?.start ?? 1);
		const number = line.number ?? expected;
		if (line.number !== undefined && line.number !== expected) doc.problems.push(`case ${line.number} came where case ${expected} was due`);
		const subtest = frame.child;
		frame.child = undefined;
		if (subtest) {
			const held = this.pendingFrames.get(subtest);
			if (held) this.finishFrame(held);
			subtest.name ??= line.name || undefined;
		}
		const testCase: TapCase = {
			ok: line.ok,
			number,
			name: line.name || subtest?.name || '',
			directive: line.directive,
			note: line.note,
			status: statusOf(line.ok, line.directive),
			diagnostics: frame.pending.splice(0),
			yaml: undefined,
			subtest,
			line: this.lineNumber,
		};
		this.addCase(frame, testCase);
		frame.yamlCandidate = testCase;
	}
}

/** Parse a whole TAP/KTAP text. */
export function parseTap(text: string | Buffer): TapDocument {
	const parser = new TapParser();
	parser.write(text);
	return parser.end();
}
