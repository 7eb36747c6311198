/**
 * The counts and the failing cases of a parsed TAP/KTAP tree (pure).
 */
import type { TapCase, TapDocument } from './types.js';

/** A failing case, with where it sits in the tree. */
export interface TapFailure {
	number: number;
	name: string;
	/** The names of the subtests it is nested in, outermost first. */
	path: string[];
	/** Its diagnostics (the lines printed before its result line) and its YAML block, if any. */
	diagnostics: string[];
	yaml: string | undefined;
	/** `# TIMEOUT …`, `# exit=1`: what the result line said after the name. */
	note: string | undefined;
}

/** What a TAP run amounts to. A case with a subtest counts as its subtest's cases, not as one more. */
export interface TapSummary {
	/** True when nothing failed and the stream had no problem (plan, bail-out, crash). */
	ok: boolean;
	total: number;
	passed: number;
	failed: number;
	skipped: number;
	/** Expected failures (`# XFAIL`): not failures. */
	xfail: number;
	/** `# TODO` cases, whatever their result: not failures. */
	todo: number;
	failures: TapFailure[];
	/** The stream's problems, each with the path of the document it was found in (`"suite › sub: planned 3, 1 ran"`). */
	problems: string[];
	/** The reason of a `Bail out!`, if the stream bailed out. */
	bailOut: string | undefined;
}

function countsAsLeaf(testCase: TapCase): boolean {
	return !testCase.subtest || testCase.subtest.cases.length === 0;
}

function describeNote(testCase: TapCase): string | undefined {
	if (testCase.note !== undefined) return testCase.note;
	if (!testCase.directive) return undefined;
	return `${testCase.directive.kind.toUpperCase()} ${testCase.directive.reason}`.trim();
}

function hasFailure(doc: TapDocument): boolean {
	return doc.cases.some((testCase) => testCase.status === 'fail' || (testCase.subtest !== undefined && hasFailure(testCase.subtest)));
}

function hasNestedBailOut(doc: TapDocument): boolean {
	return doc.cases.some(
		(testCase) => testCase.subtest !== undefined && (testCase.subtest.bailOut !== undefined || hasNestedBailOut(testCase.subtest)),
	);
}

/** Count the cases of a tree and list its failures and problems. */
export function summarizeTap(document: TapDocument): TapSummary {
	const summary: TapSummary = {
		ok: true,
		total: 0,
		passed: 0,
		failed: 0,
		skipped: 0,
		xfail: 0,
		todo: 0,
		failures: [],
		problems: [],
		bailOut: document.bailOut,
	};
	const fail = (testCase: TapCase, path: string[]) => {
		summary.failed += 1;
		summary.failures.push({
			number: testCase.number,
			name: testCase.name,
			path,
			diagnostics: testCase.diagnostics,
			yaml: testCase.yaml,
			note: describeNote(testCase),
		});
	};
	const count = (testCase: TapCase, path: string[]) => {
		summary.total += 1;
		if (testCase.status === 'pass') summary.passed += 1;
		else if (testCase.status === 'skip') summary.skipped += 1;
		else if (testCase.status === 'xfail') summary.xfail += 1;
		else if (testCase.status === 'todo') summary.todo += 1;
		else fail(testCase, path);
	};
	const visit = (doc: TapDocument, path: string[]) => {
		const where = path.length > 0 ? `${path.join(' › ')}: ` : '';
		for (const problem of doc.problems) summary.problems.push(`${where}${problem}`);
		// The top level repeats a nested document's bail-out (for `document.bailOut`): report it once, where it was.
		if (doc.bailOut !== undefined && !(doc === document && hasNestedBailOut(document)))
			summary.problems.push(`${where}Bail out!${doc.bailOut ? ` ${doc.bailOut}` : ''}`);
		for (const testCase of doc.cases) {
			const subtest = testCase.subtest;
			if (!subtest || subtest.cases.length === 0) {
				count(testCase, path);
				continue;
			}
			visit(subtest, [...path, testCase.name || `case ${testCase.number}`]);
			// A parent that failed while none of its cases did (it crashed, or judged them itself) is a failure of its own.
			if (testCase.status === 'fail' && !hasFailure(subtest)) {
				summary.total += 1;
				fail(testCase, path);
			}
		}
	};
	visit(document, []);
	summary.ok = summary.failed === 0 && summary.problems.length === 0;
	return summary;
}
