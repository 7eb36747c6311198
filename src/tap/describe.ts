/**
 * Text for people (pure): the failing cases of a TAP summary with their diagnostics (for a failure
 * message, most important first), the one-line counts, and a progress line per finished case.
 */
import type { TapFailure, TapSummary } from './summary.js';
import type { TapCase } from './types.js';

/** How much of each failing case to show: a run can fail hundreds of cases with long diagnostics. */
export interface DescribeLimits {
	/** At most this many failing cases in full (the rest are counted). @default 20 */
	maxFailures?: number;
	/** At most this many diagnostic lines per case (its last ones: the assertion is printed last). @default 30 */
	maxDiagnosticLines?: number;
}

/** "8 passed, 1 failed, 2 skipped" (zero counts left out; "no cases" when there were none). */
export function describeCounts(summary: TapSummary): string {
	const parts: string[] = [];
	if (summary.passed) parts.push(`${summary.passed} passed`);
	if (summary.failed) parts.push(`${summary.failed} failed`);
	if (summary.skipped) parts.push(`${summary.skipped} skipped`);
	if (summary.xfail) parts.push(`${summary.xfail} expected to fail (xfail)`);
	if (summary.todo) parts.push(`${summary.todo} todo`);
	return parts.length > 0 ? parts.join(', ') : 'no cases';
}

/** "not ok 3 suite › name # TIMEOUT" */
function headlineOf(failure: TapFailure): string {
	const where = failure.path.length > 0 ? `${failure.path.join(' › ')} › ` : '';
	return `not ok ${failure.number} ${where}${failure.name || '(unnamed)'}${failure.note ? ` # ${failure.note}` : ''}`;
}

function describeFailure(failure: TapFailure, maxLines: number): string[] {
	const lines = [headlineOf(failure)];
	const detail = failure.diagnostics.filter((line) => line.trim() !== '');
	if (detail.length > maxLines) lines.push(`    … ${detail.length - maxLines} earlier lines`);
	for (const line of detail.slice(-maxLines)) lines.push(`    ${line}`);
	if (failure.yaml) for (const line of failure.yaml.split('\n').slice(0, maxLines)) lines.push(`    ${line}`);
	return lines;
}

/**
 * The failing cases (headline and diagnostics each), then the stream's problems, then the counts.
 * Empty failures and problems give just the counts.
 */
export function describeTapSummary(summary: TapSummary, limits: DescribeLimits = {}): string {
	const maxFailures = limits.maxFailures ?? 20;
	const maxLines = limits.maxDiagnosticLines ?? 30;
	const lines: string[] = [];
	for (const failure of summary.failures.slice(0, maxFailures)) lines.push(...describeFailure(failure, maxLines));
	if (summary.failures.length > maxFailures) lines.push(`… and ${summary.failures.length - maxFailures} more failing cases`);
	for (const problem of summary.problems) lines.push(`TAP problem: ${problem}`);
	lines.push(`cases: ${describeCounts(summary)}`);
	return lines.join('\n');
}

/** One progress line for a finished case: "✓ 3 name", "✗ 4 name", "↓ 5 name # SKIP reason". */
export function describeProgress(testCase: TapCase, path: string[]): string {
	const mark = { pass: '✓', fail: '✗', skip: '↓', todo: '○', xfail: '✓' }[testCase.status];
	const where = path.length > 0 ? `${path.join(' › ')} › ` : '';
	const directive = testCase.directive
		? ` # ${testCase.directive.kind.toUpperCase()}${testCase.directive.reason ? ` ${testCase.directive.reason}` : ''}`
		: '';
	return `${mark} ${testCase.number} ${where}${testCase.name}`.trimEnd() + directive;
}
