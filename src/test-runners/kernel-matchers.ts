/**
 * Matchers for the guest kernel's log, shared by Vitest and Jest: `expect(vm).toHaveLoggedKernelReport('WARNING',
 * /deliberate/)` (which acknowledges the report, so the test is not failed for it) and
 * `expect(vm).toHaveKernelLog(/registered/)` for the lines a module prints (`pr_info`). Each also takes an exec
 * result, for what was logged during that exec.
 */
import type { KernelReport } from '../kernel-log/kernel-reports.js';
import { type KernelLog, formatKernelRecord, matchesKind, matchesReport } from '../kernel-log/kernel-verdict.js';
import type { ExecRecord, ExecReport } from '../kernel-log/kernel-log-stream.js';
import { testKernelLogStart } from './kernel-verdicts.js';

export interface MatcherContext {
	isNot: boolean;
}

export interface MatcherResult {
	pass: boolean;
	message(): string;
}

/** The matchers' signatures, for the `Matchers` interfaces of Vitest and Jest. */
export interface KernelMatchers<R = unknown> {
	/**
	 * Passes when the guest kernel logged a report (`WARNING:`, `BUG:`, an oops, …) of `kind` (any, when
	 * omitted) whose title, message or text matches `pattern`, and acknowledges it: the fixtures do not fail
	 * the test for it. On a VM: every report not acknowledged yet; on an exec result: those logged during it.
	 */
	toHaveLoggedKernelReport(kind?: string, pattern?: RegExp | string): R;
	/** Passes when a record of the guest kernel's log matches: the VM's whole log, or an exec result's part of it. */
	toHaveKernelLog(pattern: RegExp | string): R;
}

/** A VM (its `kernelLog`) or an exec result (its `kernelLog` and `kernelReports` arrays). */
function logOf(received: unknown): { records: readonly ExecRecord[]; reports: readonly ExecReport[]; log?: KernelLog } | undefined {
	if (typeof received !== 'object' || received === null || !('kernelLog' in received)) return undefined;
	const value = (received as { kernelLog: unknown }).kernelLog;
	if (Array.isArray(value)) {
		return {
			records: value as ExecRecord[],
			reports: ((received as { kernelReports?: ExecReport[] }).kernelReports ?? []) as ExecReport[],
		};
	}
	if (typeof value === 'object' && value !== null && 'records' in value && 'reports' in value) {
		const log = value as KernelLog;
		return { records: log.records, reports: log.reports, log };
	}
	return undefined;
}

function notALog(name: string): MatcherResult {
	return {
		pass: false,
		message: () => `${name}() expects a VM (from startVm() or a fixture) or an exec result, whose \`kernelLog\` it reads.`,
	};
}

function patternText(pattern: RegExp | string | undefined): string {
	return pattern === undefined ? '' : ` matching ${typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern)}`;
}

function listReports(reports: readonly KernelReport[]): string {
	return reports.length === 0 ? '  (none)' : reports.map((report) => `  ${report.kind}: ${report.title}`).join('\n');
}

export const kernelMatchers = {
	toHaveLoggedKernelReport(this: MatcherContext, received: unknown, kind?: string, pattern?: RegExp | string): MatcherResult {
		if (kind !== undefined && typeof kind !== 'string')
			throw new TypeError('toHaveLoggedKernelReport() expects the kind as a string, e.g. `WARNING`.');
		const found = logOf(received);
		if (!found) return notALog('toHaveLoggedKernelReport');
		// On a test's view of a VM: the reports of this test only (an older one was that test's to answer for).
		const after = testKernelLogStart(received);
		const candidates = found.reports.filter((report) => report.seq > after && !found.log?.isAcknowledged(report));
		const match = candidates.find((report) => matchesKind(report, kind) && matchesReport(report, pattern));
		// Acknowledged only when the assertion passes: `expect(vm).toHaveLogged…()` says the report was wanted.
		if (match && !this.isNot) found.log?.acknowledge(match);
		const what = `${kind ? `a ${kind} report` : 'a kernel report'}${patternText(pattern)}`;
		return {
			pass: match !== undefined,
			message: () =>
				match
					? `Expected the guest kernel not to log ${what}, but it did:\n  ${match.kind}: ${match.title}`
					: `Expected the guest kernel to log ${what}. Reports it logged (not yet acknowledged):\n${listReports(candidates)}`,
		};
	},
	toHaveKernelLog(this: MatcherContext, received: unknown, pattern: RegExp | string): MatcherResult {
		if (typeof pattern !== 'string' && !(pattern instanceof RegExp)) throw new TypeError('toHaveKernelLog() expects a string or a RegExp.');
		const found = logOf(received);
		if (!found) return notALog('toHaveKernelLog');
		const test = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
		const match = found.records.find((record) => test(record.text));
		return {
			pass: match !== undefined,
			message: () =>
				match
					? `Expected the guest kernel's log to have no line${patternText(pattern)}, but it has:\n  ${formatKernelRecord(match)}`
					: `Expected the guest kernel's log to have a line${patternText(pattern)}. Its last lines:\n${
							found.records
								.slice(-15)
								.map((record) => `  ${formatKernelRecord(record)}`)
								.join('\n') || '  (empty)'
						}`,
		};
	},
};
