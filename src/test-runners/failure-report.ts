/**
 * When a test that used a VM fails, append what happened in the guest to the error the user sees:
 * the tail of the guest console and the last command with the tail of its stderr.
 */
import { tailOf } from '../errors.js';
import { summarizeScript } from '../vm/exec-result.js';
import type { Vm } from '../vm/vm.js';
import { appendToError, hasFailed, type TaskLike } from './test-error.js';
import type { LastExec, TestBinding } from './vm-view.js';

const CONSOLE_TAIL_CHARS = 1500;
const STDERR_TAIL_CHARS = 1500;

function indent(text: string): string {
	return text
		.split('\n')
		.map((line) => `  | ${line}`)
		.join('\n');
}

function describeLastExec(last: LastExec | undefined): string {
	if (!last) return 'No command ran in this VM during the test.';
	if (last.failure) return `Last command (no result: ${last.failure.split('\n')[0]}): ${summarizeScript(last.script)}`;
	if (last.running) return `Last command (still running when the test ended, now killed): ${summarizeScript(last.script)}`;
	const status = last.timedOut
		? 'timed out'
		: last.isCanceled
			? 'was canceled'
			: `exited with code ${last.exitCode ?? 'none (the VM died)'}`;
	const stderr = typeof last.stderr === 'string' ? last.stderr : last.stderr.toString('utf8');
	const head = `Last command (${status}): ${summarizeScript(last.script)}`;
	return stderr.trim()
		? `${head}\n  its stderr ended with:\n${indent(tailOf(stderr, STDERR_TAIL_CHARS).trimEnd())}`
		: `${head}\n  its stderr was empty.`;
}

function describeConsoleTail(vm: Vm): string {
	const consoleLog = vm.consoleLog.trim();
	return consoleLog
		? `Guest console ended with:\n${indent(tailOf(consoleLog, CONSOLE_TAIL_CHARS).trimEnd())}`
		: 'The guest console was empty.';
}

/**
 * One kind of evidence in a VM's part of the report: its section's text, or undefined when it has nothing to
 * say. The sections appear in this order; a new kind of evidence is one more entry.
 */
export type VmEvidence = (vm: Vm, last: LastExec | undefined) => string | undefined;

export const VM_EVIDENCE: readonly VmEvidence[] = [(_vm, last) => describeLastExec(last), (vm) => describeConsoleTail(vm)];

/** The text appended to a failed test's error for one VM. */
export function describeVmForFailure(label: string, vm: Vm, last: LastExec | undefined, evidence = VM_EVIDENCE): string {
	const sections = evidence.map((section) => section(vm, last)).filter((text): text is string => text !== undefined);
	return `\n\n── vm-exec: ${label}, QEMU pid ${vm.pid ?? '?'}, kernel ${vm.kernel.release} ──\n${sections.join('\n')}`;
}

/**
 * Append the report of every VM the test used (and that is not reported yet) to the test's first
 * error, then forget them so a later call does not repeat them.
 */
export function reportFailure(task: TaskLike | undefined, binding: TestBinding | undefined, labelOf: (vm: Vm) => string): void {
	if (!binding || !task?.result?.errors?.[0] || !hasFailed(task)) return;
	let report = '';
	for (const [vm, last] of binding.used) report += describeVmForFailure(labelOf(vm), vm, last);
	binding.used.clear();
	appendToError(task, report);
}
