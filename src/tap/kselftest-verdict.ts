/**
 * Judge one selftest the way `run_kselftest.sh` does (pure): by its exit status (0 pass, 4 skip —
 * kselftest's `KSFT_SKIP` —, anything else a failure, a kill at the timeout a timeout), with its KTAP
 * parsed for the failing cases and the skip reason. The exit status decides, not the TAP: kselftests
 * that print a plan and no result lines (`kcmp_test`) pass under run_kselftest.sh, and must here too.
 */
import { parseTap } from './parser.js';
import { summarizeTap, type TapSummary } from './summary.js';
import type { KselftestStatus } from './kselftest-output.js';
import type { TapDocument } from './types.js';

/** kselftest's exit status for "skipped" (`KSFT_SKIP` in kselftest.h). */
export const KSFT_SKIP = 4;

export interface KselftestVerdict {
	status: KselftestStatus;
	/** Why, in one line: the skip reason, the exit status, the timeout. */
	reason: string;
	tap: TapDocument;
	summary: TapSummary;
}

export interface KselftestOutcome {
	/** Undefined when the program was killed (a timeout) or the VM died. */
	exitCode: number | undefined;
	timedOut: boolean;
	/** The selftest's stdout and stderr, interleaved (`2>&1`, as run_kselftest.sh runs it). */
	output: string;
	/** The timeout it ran under, in seconds, for the reason text. */
	timeoutSeconds: number;
}

function lastLine(output: string): string | undefined {
	const lines = output.split('\n').filter((line) => line.trim() !== '');
	return lines.at(-1)?.trim();
}

/** What a skipped selftest said about why: its `1..0 # SKIP reason`, its first skipped case, or its last line. */
function skipReason(tap: TapDocument, output: string): string {
	if (tap.plan?.skipAll) return tap.plan.skipAll;
	const skipped = tap.cases.find((testCase) => testCase.status === 'skip' && testCase.directive?.reason);
	if (skipped?.directive) return skipped.directive.reason;
	const trailer = [...tap.trailer].reverse().find((line) => /skip/i.test(line));
	return (trailer ?? lastLine(output) ?? 'exit status 4 (KSFT_SKIP)').replace(/^#\s*/, '');
}

export function judgeKselftest(outcome: KselftestOutcome): KselftestVerdict {
	const tap = parseTap(outcome.output);
	const summary = summarizeTap(tap);
	if (outcome.timedOut) {
		return {
			status: 'timeout',
			reason: `killed at its timeout of ${outcome.timeoutSeconds} s (${summary.total} ${summary.total === 1 ? 'case' : 'cases'} had finished)`,
			tap,
			summary,
		};
	}
	if (outcome.exitCode === KSFT_SKIP) return { status: 'skip', reason: skipReason(tap, outcome.output), tap, summary };
	if (outcome.exitCode === 0) return { status: 'pass', reason: 'exit status 0', tap, summary };
	const status = outcome.exitCode === undefined ? 'no exit status (the VM died)' : `exit status ${outcome.exitCode}`;
	return { status: 'fail', reason: status, tap, summary };
}
