/**
 * Matchers for exec results, shared by Vitest and Jest (both call them with the same `this`):
 * `expect(result).toSucceed()`, `toFail()`, `toHaveExitCode(n)`, `toHaveStdout(textOrRegExp)`.
 * Their failure messages show what a user needs to see why: the script, exit code, stdout and stderr.
 */
import { tailOf } from '../errors.js';
import { summarizeScript } from '../vm/exec-result.js';
import { type KernelMatchers, kernelMatchers } from './kernel-matchers.js';
import { type TapMatchers, tapMatchers } from './tap-matchers.js';

/** The fields the matchers read: an `ExecResult`, or a `VmExecError` caught from `succeed()`/`fail()`. */
interface ExecLike {
	script: string;
	stdout: string | Buffer;
	stderr: string | Buffer;
	exitCode: number | undefined;
	timedOut?: boolean;
	isCanceled?: boolean;
}

/** The part of the matcher context (`this`) of Vitest and Jest the matchers use. */
interface MatcherContext {
	isNot: boolean;
	utils?: { printExpected?(value: unknown): string; printReceived?(value: unknown): string };
}

interface MatcherResult {
	pass: boolean;
	message(): string;
}

/** The matchers' signatures, for the `Matchers` interfaces of Vitest and Jest. */
export interface VmMatchers<R = unknown> extends KernelMatchers<R>, TapMatchers<R> {
	/** Passes when the exec result has exit code 0 (and did not time out or get canceled). */
	toSucceed(): R;
	/** Passes when the exec result has a non-zero exit code (or timed out, or was canceled). */
	toFail(): R;
	/** Passes when the exec result has exactly this exit code. */
	toHaveExitCode(exitCode: number): R;
	/**
	 * Passes when stdout matches: a string must equal stdout, ignoring one trailing newline
	 * (`'down'` matches `'down\n'`); a RegExp must match somewhere in it.
	 */
	toHaveStdout(expected: string | RegExp): R;
}

function isExecLike(value: unknown): value is ExecLike {
	if (typeof value !== 'object' || value === null) return false;
	const candidate = value as Record<string, unknown>;
	return typeof candidate.script === 'string' && 'stdout' in candidate && 'stderr' in candidate && 'exitCode' in candidate;
}

function text(value: string | Buffer): string {
	return typeof value === 'string' ? value : value.toString('utf8');
}

function section(name: string, value: string | Buffer): string {
	const body = text(value);
	if (body === '') return `${name}: (empty)`;
	return `${name}:\n${indent(tailOf(body, 2000).replace(/\n$/, ''))}`;
}

function indent(body: string): string {
	return body
		.split('\n')
		.map((line) => `  ${line}`)
		.join('\n');
}

function status(result: ExecLike): string {
	if (result.timedOut) return 'timed out (killed)';
	if (result.isCanceled) return 'canceled (killed)';
	return result.exitCode === undefined ? 'none (the VM died)' : String(result.exitCode);
}

/** The block every failure message ends with. */
export function describeExec(result: ExecLike): string {
	return [
		`script: ${summarizeScript(result.script, 400)}`,
		`exit code: ${status(result)}`,
		section('stdout', result.stdout),
		section('stderr', result.stderr),
	].join('\n');
}

function notAResult(name: string, received: unknown): MatcherResult {
	const kind = received === null ? 'null' : typeof received;
	return {
		pass: false,
		message: () =>
			`expect(received).${name}() needs an exec result (what vm.exec() resolves, or a VmExecError), got ${kind}. Did you forget to await vm.exec()?`,
	};
}

function matcherResult(context: MatcherContext, pass: boolean, headline: { pass: string; fail: string }, result: ExecLike): MatcherResult {
	return { pass, message: () => `${context.isNot ? headline.pass : headline.fail}\n\n${describeExec(result)}` };
}

function hasSucceeded(result: ExecLike): boolean {
	return result.exitCode === 0 && !result.timedOut && !result.isCanceled;
}

function stdoutMatches(stdout: string, expected: string | RegExp): boolean {
	if (typeof expected === 'string') return stdout === expected || stdout === `${expected}\n`;
	expected.lastIndex = 0;
	return expected.test(stdout);
}

/** Pass to `expect.extend()`; `vm-exec/vitest` and `vm-exec/jest` do it for you. */
export const vmMatchers = {
	...tapMatchers,
	toSucceed(this: MatcherContext, received: unknown): MatcherResult {
		if (!isExecLike(received)) return notAResult('toSucceed', received);
		return matcherResult(
			this,
			hasSucceeded(received),
			{
				fail: 'Expected the command to succeed (exit code 0) in the VM, but it did not.',
				pass: 'Expected the command not to succeed, but it exited with code 0.',
			},
			received,
		);
	},
	toFail(this: MatcherContext, received: unknown): MatcherResult {
		if (!isExecLike(received)) return notAResult('toFail', received);
		return matcherResult(
			this,
			!hasSucceeded(received),
			{
				fail: 'Expected the command to fail (non-zero exit code) in the VM, but it exited with code 0.',
				pass: 'Expected the command not to fail, but it did.',
			},
			received,
		);
	},
	toHaveExitCode(this: MatcherContext, received: unknown, exitCode: number): MatcherResult {
		if (typeof exitCode !== 'number' || !Number.isInteger(exitCode)) {
			throw new TypeError(`toHaveExitCode() expects an integer exit code, got ${String(exitCode)}.`);
		}
		if (!isExecLike(received)) return notAResult('toHaveExitCode', received);
		return matcherResult(
			this,
			received.exitCode === exitCode,
			{
				fail: `Expected the command to exit with code ${exitCode} in the VM.`,
				pass: `Expected the command not to exit with code ${exitCode}.`,
			},
			received,
		);
	},
	toHaveStdout(this: MatcherContext, received: unknown, expected: string | RegExp): MatcherResult {
		if (typeof expected !== 'string' && !(expected instanceof RegExp)) {
			throw new TypeError(`toHaveStdout() expects a string or a RegExp, got ${expected === null ? 'null' : typeof expected}.`);
		}
		if (!isExecLike(received)) return notAResult('toHaveStdout', received);
		const shown = typeof expected === 'string' ? JSON.stringify(expected) : String(expected);
		const pass = stdoutMatches(text(received.stdout), expected);
		return matcherResult(
			this,
			pass,
			{
				fail: `Expected the command's stdout to ${typeof expected === 'string' ? 'be' : 'match'} ${shown}.`,
				pass: `Expected the command's stdout not to ${typeof expected === 'string' ? 'be' : 'match'} ${shown}.`,
			},
			received,
		);
	},
	...kernelMatchers,
};
