/**
 * What one line of a TAP/KTAP stream is, once its indentation is taken off (pure).
 */
import type { TapDirective, TapPlan } from './types.js';

export type TapLine =
	| { kind: 'version'; version: string }
	| { kind: 'plan'; plan: TapPlan }
	| { kind: 'result'; ok: boolean; number: number | undefined; name: string; directive: TapDirective | undefined; note: string | undefined }
	| { kind: 'bail-out'; reason: string }
	| { kind: 'subtest'; name: string }
	| { kind: 'yaml-start' }
	| { kind: 'yaml-end' }
	| { kind: 'pragma' }
	| { kind: 'blank' }
	/** A `#` comment or a line that is not TAP at all (a program's own output): both are diagnostics. */
	| { kind: 'other' };

const VERSION = /^(TAP|KTAP) version (\d+)\s*$/;
const PLAN = /^(\d+)\.\.(\d+)\s*(?:#\s*(.*))?$/;
const RESULT = /^(not ok|ok)(?=\s|$)\s*(\d+)?\s*(?:-\s+|-$)?(.*)$/;
const BAIL_OUT = /^Bail out!\s*(.*)$/i;
const SUBTEST = /^#\s*Subtest:\s*(.*?)\s*$/;
const DIRECTIVE = /^(skip|todo|xfail|xpass|timeout|error)\w*(?:[:\s]\s*(.*))?$/i;

/** The columns of leading whitespace (a tab counts as up to the next multiple of 8, as a terminal shows it). */
export function measureIndent(line: string): number {
	let columns = 0;
	for (const char of line) {
		if (char === ' ') columns += 1;
		else if (char === '\t') columns += 8 - (columns % 8);
		else break;
	}
	return columns;
}

/** Split "name # DIRECTIVE reason" at the first `#` that is not escaped (`\#`) and starts a word. */
function splitDescription(text: string): { name: string; directive: TapDirective | undefined; note: string | undefined } {
	for (let index = text.indexOf('#'); index !== -1; index = text.indexOf('#', index + 1)) {
		if (index > 0 && text[index - 1] === '\\') continue;
		if (index > 0 && !/\s/.test(text[index - 1]!)) continue;
		const name = unescape(text.slice(0, index).trim());
		const rest = text.slice(index + 1).trim();
		const match = DIRECTIVE.exec(rest);
		if (match)
			return {
				name,
				directive: { kind: match[1]!.toLowerCase() as TapDirective['kind'], reason: (match[2] ?? '').trim() },
				note: undefined,
			};
		return { name, directive: undefined, note: rest };
	}
	return { name: unescape(text.trim()), directive: undefined, note: undefined };
}

function unescape(text: string): string {
	return text.replace(/\\([\\#])/g, '$1');
}

/** Classify a line whose indentation has been removed. */
export function classifyLine(content: string): TapLine {
	const trimmed = content.trimEnd();
	if (trimmed === '') return { kind: 'blank' };
	const version = VERSION.exec(trimmed);
	if (version) return { kind: 'version', version: `${version[1]} ${version[2]}` };
	const plan = PLAN.exec(trimmed);
	if (plan) {
		const comment = plan[3]?.trim();
		const skip = comment !== undefined && /^skip/i.test(comment) ? comment.replace(/^skip\w*[:\s]*/i, '') : undefined;
		return { kind: 'plan', plan: { start: Number(plan[1]), end: Number(plan[2]), skipAll: skip } };
	}
	const result = RESULT.exec(trimmed);
	if (result) {
		const { name, directive, note } = splitDescription(result[3] ?? '');
		return {
			kind: 'result',
			ok: result[1] === 'ok',
			number: result[2] === undefined ? undefined : Number(result[2]),
			name,
			directive,
			note,
		};
	}
	const bail = BAIL_OUT.exec(trimmed);
	if (bail) return { kind: 'bail-out', reason: bail[1]!.trim() };
	const subtest = SUBTEST.exec(trimmed);
	if (subtest) return { kind: 'subtest', name: subtest[1]! };
	if (trimmed.trim() === '---') return { kind: 'yaml-start' };
	if (trimmed.trim() === '...') return { kind: 'yaml-end' };
	if (/^pragma [+-]\w+/.test(trimmed)) return { kind: 'pragma' };
	return { kind: 'other' };
}

/** Whether a line of this kind opens a nested document when it is indented deeper than the current one. */
export function isStructural(line: TapLine): boolean {
	return line.kind === 'version' || line.kind === 'plan' || line.kind === 'result' || line.kind === 'subtest' || line.kind === 'bail-out';
}
