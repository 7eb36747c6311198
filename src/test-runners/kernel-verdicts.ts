/**
 * The kernel's verdict in the test fixtures: each test takes a mark in the kernel log of every VM it uses
 * (when it starts, or when it gets the VM), and when it ends, the reports logged after the mark that no one
 * acknowledged (`vm.expectKernelReport()`, the matchers) and the failing taint no acknowledged report
 * explains are its own. With the VM's policy (the `kernelReports` option, `'fail'` by default in the
 * fixtures) they fail the test after its own assertions, are shown, or are ignored. A VM shared by several
 * tests charges each report to the test during which it was logged, never to the next one.
 */
import { VmError } from '../errors.js';
import { describeKernelVerdict, isKernelFailure, type KernelVerdict, taintChange, unexplainedTaint } from '../kernel-log/kernel-verdict.js';
import type { KernelReportPolicy } from '../options.js';
import type { Vm } from '../vm/vm.js';
import { appendToError, hasFailed, type TaskLike } from './test-error.js';

/**
 * A test's view of a VM answers with where the test's part of the VM's kernel log begins (a seq), so that an
 * expectation (`expectKernelReport`, the matchers) takes a report of this test, never an older one.
 */
export const TEST_KERNEL_LOG_START = Symbol.for('vm-exec.test-kernel-log-start');

/** The seq after which `vm`'s reports are the running test's (-1: every report), for a test's view. */
export function testKernelLogStart(vm: unknown): number {
	const start = (vm as { [TEST_KERNEL_LOG_START]?: () => number | undefined } | null)?.[TEST_KERNEL_LOG_START]?.();
	return start ?? -1;
}

/** Where a test's part of a VM's kernel log begins. */
export interface KernelMark {
	seq: number;
	taint: number | undefined;
}

/** The fixtures' policy per VM they started (the user's `kernelReports`; the VM itself runs with `'report'`). */
const policies = new WeakMap<object, KernelReportPolicy>();

/** The `kernelReports` a fixture's VM was asked for; the VM itself starts with `'report'` (its execs never reject for it). */
export function setKernelPolicy(vm: object, policy: KernelReportPolicy | undefined): void {
	policies.set(vm, policy ?? 'fail');
}

export function kernelPolicyOf(vm: object): KernelReportPolicy {
	return policies.get(vm) ?? 'fail';
}

export function markKernelLog(vm: Vm): KernelMark {
	return { seq: vm.kernelLog.lastSeq, taint: vm.kernelLog.taint };
}

/** What the kernel said in `vm` since `mark`, less what was acknowledged. */
export async function kernelVerdictSince(vm: Vm, mark: KernelMark): Promise<KernelVerdict> {
	const log = vm.kernelLog;
	if (!vm.closed) await log.sync().catch(() => {});
	const after = log.reports.filter((report) => report.seq > mark.seq);
	const acknowledged = after.filter((report) => log.isAcknowledged(report));
	const taint = taintChange(mark.taint, log.taint);
	return {
		reports: after.filter((report) => !log.isAcknowledged(report)),
		taint: { ...taint, failing: unexplainedTaint(taint.failing, acknowledged) },
	};
}

/** The error a passing test fails with when the kernel of a VM it used reported a problem (policy `'fail'`). */
export class VmKernelReportError extends VmError {
	override name = 'VmKernelReportError';
	/** Each VM's verdict, by the label the failure report gives it. */
	verdicts: ReadonlyArray<{ label: string; verdict: KernelVerdict }>;

	constructor(message: string, verdicts: ReadonlyArray<{ label: string; verdict: KernelVerdict }>) {
		super(message);
		this.verdicts = verdicts;
	}
}

function section(label: string, vm: Vm, verdict: KernelVerdict): string {
	return `── vm-exec: the guest kernel of ${label} reported during this test (docs/kernel-reports.md) ──\n${describeKernelVerdict(verdict, (id) => vm.kernelLog.commandOf(id))}`;
}

export interface JudgedVm {
	vm: Vm;
	label: string;
	mark: KernelMark;
}

/**
 * Judge a test that is over by what the kernels of its VMs said. Policy `'fail'`: a test that passed fails:
 * resolves with the `VmKernelReportError` (its message has the reports) for the caller to throw once it has
 * closed or kept the VM; one that failed already gets them appended to its error. `'report'`: appended to a
 * failed test's error, written to stderr for a passing one.
 */
export async function judgeKernelVerdicts(task: TaskLike | undefined, vms: readonly JudgedVm[]): Promise<VmKernelReportError | undefined> {
	const failing: Array<{ label: string; vm: Vm; verdict: KernelVerdict; policy: KernelReportPolicy }> = [];
	for (const { vm, label, mark } of vms) {
		const policy = kernelPolicyOf(vm);
		if (policy === 'ignore') continue;
		const verdict = await kernelVerdictSince(vm, mark);
		if (isKernelFailure(verdict)) failing.push({ label, vm, verdict, policy });
	}
	if (failing.length === 0) return undefined;
	const text = failing.map(({ label, vm, verdict }) => section(label, vm, verdict)).join('\n\n');
	if (hasFailed(task)) {
		appendToError(task, `\n\n${text}`);
		return undefined;
	}
	if (failing.some(({ policy }) => policy === 'fail')) {
		const first = failing[0]!.verdict.reports[0];
		const headline = first
			? `The guest kernel reported ${first.kind === 'WARNING' ? 'a WARNING' : first.kind} during this test: ${first.title}`
			: 'The guest kernel became tainted during this test.';
		return new VmKernelReportError(
			`${headline}\nThe test passed its own assertions; a test that triggers this on purpose says so with \`await vm.expectKernelReport(/…/)\` (or set \`kernelReports: 'report'\`).\n\n${text}`,
			failing.map(({ label, verdict }) => ({ label, verdict })),
		);
	}
	process.stderr.write(`${text}\n`);
	return undefined;
}
