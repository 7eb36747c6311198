/**
 * What the guest kernel said during one exec, for its result: once the exec's `done` arrived, wait (bounded)
 * until its end marker has come through the kernel log (then every record logged during it is here), and
 * take its records, its reports (naming raw addresses with the host's symbols where the kernel printed
 * none) and the taint before and after it. With `kernelReports: 'fail'`, a report or a failing taint makes
 * the exec reject with a `VmKernelError`.
 */
import { createDebug } from '../debug.js';
import { type ExecResultFields, VmKernelError } from '../errors.js';
import type { ExecReport, KernelLogStream } from '../kernel-log/kernel-log-stream.js';
import { describeKernelVerdict, isKernelFailure, taintChange } from '../kernel-log/kernel-verdict.js';
import { loadKernelSymbols, lookupSymbol } from '../kernel/kernel-symbols.js';
import type { KernelReportPolicy } from '../options.js';
import { summarizeScript } from './exec-result.js';

const debug = createDebug('kernel-log');

/**
 * How long an exec's result waits for the exec's end marker after `done`: the marker is logged before
 * `done` is sent, so it is normally there already or within a few ms; a guest whose log copier died must
 * not hold results up for long.
 */
export const END_MARKER_WAIT_MS = 2000;

/** Name the frames the kernel printed as raw addresses (`[<ffffffff81234567>]`), where the host has symbols. */
async function nameRawFrames(reports: readonly ExecReport[], release: string): Promise<readonly ExecReport[]> {
	const unnamed = (frame: { symbol?: string; address?: string }) => !frame.symbol && frame.address !== undefined;
	if (!reports.some((report) => report.callTrace.some(unnamed) || (report.rip && unnamed(report.rip)))) return reports;
	const symbols = await loadKernelSymbols(release);
	if (!symbols) return reports;
	const name = <Frame extends { symbol?: string; offset?: number; address?: string }>(frame: Frame): Frame => {
		if (!unnamed(frame)) return frame;
		const found = lookupSymbol(symbols, BigInt(`0x${frame.address}`));
		const match = found && /^(.+?)\+0x([0-9a-f]+)$/.exec(found);
		return match ? { ...frame, symbol: match[1]!, offset: Number.parseInt(match[2]!, 16) } : frame;
	};
	return reports.map((report) => ({
		...report,
		callTrace: report.callTrace.map(name),
		...(report.rip ? { rip: name(report.rip) } : {}),
	}));
}

/** The exec's result with what the kernel said during it; rejects with a `VmKernelError` under `'fail'`. */
export async function withExecKernelLog<Result extends ExecResultFields<string | Buffer>>(
	result: Result,
	execId: string,
	context: {
		stream: KernelLogStream;
		policy: KernelReportPolicy;
		release: string;
		/** Whether the guest can still log the marker (false: the VM died or stopped answering). */
		alive: boolean;
		details: { consoleLog: string; qemuArgv: readonly string[] };
	},
): Promise<Result> {
	const { stream } = context;
	// An exec the host settled without the guest (a kill it never confirmed) has no end marker to wait for.
	// The end marker is logged before `done`, so waiting for it costs little; the taint marker comes after
	// `done` (the taint reader is another process), so only 'fail' waits for it: otherwise `taint.after` is
	// there when it has arrived, and the fixtures, which judge a test by the taint, wait for it when it ends.
	if (context.alive && result.exitCode !== undefined) {
		const arrived = await stream.waitForExecEnd(execId, { ms: END_MARKER_WAIT_MS, taint: context.policy === 'fail' });
		if (!arrived) debug(`${execId}: its end marker did not arrive within ${END_MARKER_WAIT_MS} ms`);
	} else {
		await stream.readNow();
	}
	const span = stream.execSpan(execId);
	const kernelReports = await nameRawFrames(stream.execReports(execId), context.release);
	const withLog: Result = {
		...result,
		kernelLog: stream.execRecords(execId),
		kernelReports,
		taint: taintChange(span?.taintBefore, span?.taintAfter),
	};
	const verdict = { reports: kernelReports, taint: withLog.taint! };
	if (context.policy === 'fail' && isKernelFailure(verdict)) {
		throw new VmKernelError(
			`The guest kernel reported a problem while this command ran in the VM: ${summarizeScript(result.script)}\n${describeKernelVerdict(verdict)}`,
			withLog,
			{ ...context.details, reports: kernelReports, failingTaint: verdict.taint.failing },
		);
	}
	return withLog;
}
