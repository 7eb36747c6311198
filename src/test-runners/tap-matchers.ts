/**
 * `expect(result).toPassTap()`: judge what `execTap()` resolved by its TAP/KTAP. The failure message
 * starts with the failing cases (number, name, diagnostics), then the stream's problems and the counts,
 * then the exec itself (script, exit code, stderr). Skips, expected failures and TODOs are not failures.
 */
import { tailOf } from '../errors.js';
import { describeTapSummary } from '../tap/describe.js';
import type { TapSummary } from '../tap/summary.js';
import { summarizeScript } from '../vm/exec-result.js';

/** The fields `toPassTap()` reads: an `ExecTapResult` (exec fields optional, for a summary made elsewhere). */
interface TapResultLike {
	summary: TapSummary;
	script?: string;
	exitCode?: number | undefined;
	timedOut?: boolean;
	isCanceled?: boolean;
	stderr?: string | Buffer;
	durationMs?: number;
}

export interface MatcherContext {
	isNot: boolean;
}

export interface MatcherResult {
	pass: boolean;
	message(): string;
}

/** The TAP matchers' signatures, for the `Matchers` interfaces of Vitest and Jest. */
export interface TapMatchers<R = unknown> {
	/**
	 * Passes when the TAP/KTAP of an `execTap()` result has no failing case and no problem (a short or
	 * missing plan, a `Bail out!`, a crash mid-stream), and the exec exited with 0 without timing out.
	 */
	toPassTap(): R;
}

function isTapResult(value: unknown): value is TapResultLike {
	if (typeof value !== 'object' || value === null) return false;
	const summary = (value as { summary?: unknown }).summary;
	return typeof summary === 'object' && summary !== null && Array.isArray((summary as TapSummary).failures);
}

/** Why the exec itself failed, beyond its TAP (undefined when it exited with 0, or is not an exec). */
function execProblem(result: TapResultLike): string | undefined {
	if (result.timedOut) return `it was killed at its timeout after ${Math.round(result.durationMs ?? 0)} ms`;
	if (result.isCanceled) return 'it was canceled (its signal was aborted)';
	if (!('exitCode' in result)) return undefined;
	if (result.exitCode === undefined) return 'it has no exit status (the VM died)';
	return result.exitCode === 0 ? undefined : `it exited with code ${result.exitCode}`;
}

function describeExecTail(result: TapResultLike): string {
	const lines: string[] = [];
	if (result.script !== undefined) lines.push(`script: ${summarizeScript(result.script, 400)}`);
	if ('exitCode' in result)
		lines.push(`exit code: ${result.timedOut ? 'timed out (killed)' : String(result.exitCode ?? 'none (the VM died)')}`);
	const stderr = result.stderr === undefined ? '' : String(result.stderr);
	if (stderr.trim() !== '') lines.push(`stderr:\n${tailOf(stderr, 2000).trimEnd().replace(/^/gm, '  ')}`);
	return lines.join('\n');
}

/** Pass to `expect.extend()`; `vm-exec/vitest` and `vm-exec/jest` do it for you. */
export const tapMatchers = {
	toPassTap(this: MatcherContext, received: unknown): MatcherResult {
		if (!isTapResult(received)) {
			const kind = received === null ? 'null' : typeof received;
			return {
				pass: false,
				message: () =>
					`expect(received).toPassTap() needs what execTap() resolves (an object with a TAP \`summary\`), got ${kind}. Did you forget to await it?`,
			};
		}
		const { summary } = received;
		const problem = execProblem(received);
		const pass = summary.ok && problem === undefined;
		const counted = `${summary.failed} of ${summary.total} cases failed`;
		const why = [summary.failed > 0 ? counted : undefined, summary.problems.length > 0 ? 'its TAP is incomplete' : undefined, problem]
			.filter(Boolean)
			.join('; ');
		const headline = this.isNot
			? `Expected the TAP run not to pass, but all its ${summary.total} cases passed (or were skipped) and it exited with 0.`
			: `Expected the TAP run to pass in the VM, but ${why}:`;
		return { pass, message: () => [headline, '', describeTapSummary(summary), '', describeExecTail(received)].join('\n').trimEnd() };
	},
};
