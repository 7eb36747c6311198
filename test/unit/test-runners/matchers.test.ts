import { describe, expect, test } from 'vitest';
import { vmMatchers } from '../../../src/test-runners/matchers.js';
import type { ExecResult } from '../../../src/index.js';

// Types only: the matchers' declarations for Vitest's `expect` (importing it would boot nothing, but
// this unit test registers the matchers itself).
import type {} from '../../../src/test-runners/vitest.js';

expect.extend(vmMatchers);

function result(fields: Partial<ExecResult<string | Buffer>> = {}): ExecResult<string | Buffer> {
	return { script: 'ip link show d0', stdout: '', stderr: '', exitCode: 0, durationMs: 12, timedOut: false, isCanceled: false, ...fields };
}

function failureOf(assertion: () => void): string {
	try {
		assertion();
	} catch (error) {
		return (error as Error).message;
	}
	throw new Error('the assertion passed');
}

describe('toSucceed / toFail', () => {
	test('pass on exit code 0 and non-zero respectively', () => {
		expect(result()).toSucceed();
		expect(result({ exitCode: 1 })).toFail();
		expect(result({ exitCode: 1 })).not.toSucceed();
		expect(result()).not.toFail();
	});

	test('treat a timed-out or canceled command as not succeeding', () => {
		expect(result({ exitCode: 137, timedOut: true })).toFail();
		expect(result({ exitCode: 0, isCanceled: true })).not.toSucceed();
	});

	test('show the script, exit code, stdout and stderr when they fail', () => {
		const message = failureOf(() =>
			expect(result({ exitCode: 1, stdout: 'some output\n', stderr: 'Device "d0" does not exist.\n' })).toSucceed(),
		);
		expect(message).toContain('Expected the command to succeed (exit code 0) in the VM');
		expect(message).toContain('script: ip link show d0');
		expect(message).toContain('exit code: 1');
		expect(message).toContain('stdout:\n  some output');
		expect(message).toContain('stderr:\n  Device "d0" does not exist.');
	});

	test('word the negated failure the other way round', () => {
		expect(failureOf(() => expect(result()).not.toSucceed())).toMatch(/^Expected the command not to succeed, but it exited with code 0\./);
		expect(failureOf(() => expect(result()).toFail())).toMatch(
			/^Expected the command to fail \(non-zero exit code\) in the VM, but it exited with code 0\./,
		);
	});

	test('say when the command timed out', () => {
		expect(failureOf(() => expect(result({ exitCode: 137, timedOut: true })).toSucceed())).toContain('exit code: timed out (killed)');
	});

	test('explain what is wrong when given something that is not an exec result', () => {
		expect(failureOf(() => expect(Promise.resolve(result())).toSucceed())).toContain('needs an exec result');
		expect(failureOf(() => expect('text').toFail())).toContain('Did you forget to await vm.exec()?');
	});

	test('accept a VmExecError, which carries the same fields', async () => {
		const { VmExecError } = await import('../../../src/errors.js');
		expect(new VmExecError('failed', result({ exitCode: 2 }))).toFail();
	});
});

describe('toHaveExitCode', () => {
	test('passes on the exact exit code only', () => {
		expect(result({ exitCode: 3 })).toHaveExitCode(3);
		expect(result({ exitCode: 3 })).not.toHaveExitCode(0);
		expect(failureOf(() => expect(result({ exitCode: 3 })).toHaveExitCode(2))).toContain(
			'Expected the command to exit with code 2 in the VM.\n\nscript: ip link show d0\nexit code: 3',
		);
	});

	test('rejects a non-integer expectation with a TypeError', () => {
		expect(() => expect(result()).toHaveExitCode('0' as unknown as number)).toThrow(TypeError);
	});
});

describe('toHaveStdout', () => {
	test('compares a string with stdout, ignoring one trailing newline', () => {
		expect(result({ stdout: 'down\n' })).toHaveStdout('down');
		expect(result({ stdout: 'down\n' })).toHaveStdout('down\n');
		expect(result({ stdout: 'down\n\n' })).not.toHaveStdout('down');
		expect(result({ stdout: 'lowerlayerdown\n' })).not.toHaveStdout('down');
	});

	test('matches a RegExp anywhere, also with the global flag used twice', () => {
		const pattern = /inet 10\.0\.0\.1/g;
		expect(result({ stdout: '3: d0    inet 10.0.0.1/24\n' })).toHaveStdout(pattern);
		expect(result({ stdout: '3: d0    inet 10.0.0.1/24\n' })).toHaveStdout(pattern);
	});

	test('reads Buffer output as UTF-8', () => {
		expect(result({ stdout: Buffer.from('héllo\n') })).toHaveStdout('héllo');
	});

	test('shows the expected value and the actual output when it fails', () => {
		const message = failureOf(() => expect(result({ stdout: 'up\n' })).toHaveStdout('down'));
		expect(message).toContain('Expected the command\'s stdout to be "down".');
		expect(message).toContain('stdout:\n  up');
		expect(failureOf(() => expect(result({ stdout: 'up\n' })).toHaveStdout(/down/))).toContain(
			"Expected the command's stdout to match /down/.",
		);
	});
});
