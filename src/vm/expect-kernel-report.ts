/**
 * `vm.expectKernelReport()`: wait for a kernel report a test triggers on purpose, and acknowledge it, so that
 * the test fixtures do not fail the test for it.
 */
import { VmError } from '../errors.js';
import type { KernelReport } from '../kernel-log/kernel-reports.js';
import { type KernelLog, matchesKind, matchesReport } from '../kernel-log/kernel-verdict.js';
import { delay } from '../lifecycle/wait.js';
import { validateExpectation } from '../options.js';
import type { ExpectKernelReportOptions } from './vm.js';

const DEFAULT_TIMEOUT_MS = 5000;
/** How often the log is read again while a report is awaited. */
const POLL_MS = 50;

function describePattern(pattern: RegExp | string | undefined, kind: string | undefined): string {
	const what = kind ? `a ${kind} report` : 'a kernel report';
	return pattern === undefined ? what : `${what} matching ${typeof pattern === 'string' ? JSON.stringify(pattern) : String(pattern)}`;
}

export async function expectKernelReport(
	log: KernelLog,
	pattern: RegExp | string | undefined,
	options: ExpectKernelReportOptions,
	qemuArgv: readonly string[],
): Promise<KernelReport> {
	const { kind, timeout, after } = validateExpectation(pattern, options, DEFAULT_TIMEOUT_MS);
	const candidate = (report: KernelReport) => report.seq > after && !log.isAcknowledged(report);
	const until = performance.now() + timeout;
	for (;;) {
		await log.sync();
		const found = log.reports.find((report) => candidate(report) && matchesKind(report, kind) && matchesReport(report, pattern));
		if (found) {
			log.acknowledge(found);
			return found;
		}
		if (performance.now() >= until) {
			const seen = log.reports.filter(candidate).map((report) => `  ${report.kind}: ${report.title}`);
			throw new VmError(
				`Expected the guest kernel to log ${describePattern(pattern, kind)} within ${timeout} ms, but it logged ${
					seen.length === 0 ? 'no report (that was not expected already)' : `only:\n${seen.join('\n')}`
				}`,
				{ qemuArgv },
			);
		}
		await delay(POLL_MS);
	}
}
