/**
 * Exec results, and the messages of the errors built from them (pure).
 */
import { tailOf, type ExecResultFields, VmExecError, VmTimeoutError } from '../errors.js';

/** What `vm.exec()` resolves: the same fields as `VmExecError`. */
export type ExecResult<Output extends string | Buffer = string> = ExecResultFields<Output>;

export function summarizeScript(script: string, maxChars = 120): string {
	const oneLine = script.trim().replace(/\s*\n\s*/g, '; ');
	return oneLine.length > maxChars ? `${oneLine.slice(0, maxChars - 1)}…` : oneLine;
}

function outputSection(name: string, value: string | Buffer): string {
	const text = typeof value === 'string' ? value : value.toString('utf8');
	if (text.trim() === '') return '';
	return `\n${name}:\n${tailOf(text, 2000).trimEnd()}`;
}

/** "Command failed with exit code 3 in the VM: make test" followed by the stderr and stdout tails. */
export function describeFailedExec(result: ExecResultFields<string | Buffer>, expectation: 'succeed' | 'fail'): string {
	const what = summarizeScript(result.script);
	let headline: string;
	if (expectation === 'fail') headline = `Command was expected to fail but exited with code 0 in the VM: ${what}`;
	else if (result.timedOut)
		headline = `Command timed out after ${Math.round(result.durationMs)} ms in the VM (its process tree was killed): ${what}`;
	else if (result.isCanceled) headline = `Command was canceled (its signal was aborted) in the VM: ${what}`;
	else headline = `Command failed with exit code ${result.exitCode} in the VM: ${what}`;
	return headline + outputSection('stderr', result.stderr) + outputSection('stdout', result.stdout);
}

/**
 * What `succeed()` and `fail()` do with a result: return it when its outcome is the expected one, else
 * throw the `VmExecError` (`VmTimeoutError` for a timed-out or canceled exec) that describes it.
 */
export function expectOutcome<Result extends ExecResultFields<string | Buffer>>(
	result: Result,
	expectation: 'succeed' | 'fail',
	details: { consoleLog?: string; qemuArgv?: readonly string[] },
): Result {
	if (result.timedOut || result.isCanceled) throw new VmTimeoutError(describeFailedExec(result, 'succeed'), result, details);
	if (expectation === 'succeed' ? result.exitCode !== 0 : result.exitCode === 0) {
		throw new VmExecError(describeFailedExec(result, expectation), result, details);
	}
	return result;
}
