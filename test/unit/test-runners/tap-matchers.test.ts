import { describe, expect, test } from 'vitest';
import { vmMatchers } from '../../../src/test-runners/matchers.js';
import { execTap } from '../../../src/vm/exec-tap.js';
import type { ExecOptions } from '../../../src/options.js';
import type { ExecResult } from '../../../src/vm/exec-result.js';
import type { TapEvent } from '../../../src/tap/types.js';
import type {} from '../../../src/test-runners/vitest.js';

expect.extend(vmMatchers);

function fakeVm(stdout: string, fields: Partial<ExecResult<string>> = {}) {
	return {
		async exec(script: string, options: ExecOptions<'utf8'> = {}): Promise<ExecResult<string>> {
			// In pieces that split lines, as the exchange files are read while the script runs.
			for (let at = 0; at < stdout.length; at += 5) options.onStdout?.(Buffer.from(stdout.slice(at, at + 5)));
			return { script, stdout, stderr: '', exitCode: 0, durationMs: 3, timedOut: false, isCanceled: false, ...fields };
		},
	};
}

function failureOf(assertion: () => void): string {
	try {
		assertion();
	} catch (error) {
		return (error as Error).message;
	}
	throw new Error('the assertion passed');
}

const MIXED = [
	'TAP version 13',
	'1..5',
	'ok 1 loads',
	'ok 2 # SKIP no hardware',
	'ok 3 known bug # XFAIL bug 123',
	'# expected 4096, got 0',
	'not ok 4 reads the size',
	'ok 5 unloads',
	'',
].join('\n');

describe('execTap', () => {
	test('resolves with the exec fields, the tree and the summary, and reports each case as it arrives', async () => {
		const events: TapEvent[] = [];
		const result = await execTap(fakeVm(MIXED, { exitCode: 1 }), './run-tests', { onTapEvent: (event) => events.push(event) });
		expect(result.exitCode).toBe(1);
		expect(result.tap.cases).toHaveLength(5);
		expect(result.summary).toMatchObject({ total: 5, passed: 2, failed: 1, skipped: 1, xfail: 1 });
		expect(events.filter((e) => e.type === 'case')).toHaveLength(5);
	});

	test('rejects options that are not the exec options', async () => {
		await expect(execTap(fakeVm(''), 'true', { onTapEvent: 'no' as never })).rejects.toThrow(/`onTapEvent` option to be a function/);
	});
});

describe('toPassTap', () => {
	test('passes with skips and expected failures, fails on a failing case', async () => {
		expect(await execTap(fakeVm('1..2\nok 1 a\nok 2 b # SKIP later\n'), 'x')).toPassTap();
		expect(await execTap(fakeVm('1..1\nok 1 a # XFAIL\n'), 'x')).toPassTap();
		expect(await execTap(fakeVm(MIXED, { exitCode: 1 }), 'x')).not.toPassTap();
	});

	test('puts the failing cases with their diagnostics at the top of the message, the rest summarised', async () => {
		const result = await execTap(fakeVm(MIXED, { exitCode: 1 }), './run-tests');
		const lines = failureOf(() => expect(result).toPassTap()).split('\n');
		expect(lines.slice(0, 5)).toEqual([
			'Expected the TAP run to pass in the VM, but 1 of 5 cases failed; it exited with code 1:',
			'',
			'not ok 4 reads the size',
			'    # expected 4096, got 0',
			'cases: 2 passed, 1 failed, 1 skipped, 1 expected to fail (xfail)',
		]);
		expect(lines).toContain('script: ./run-tests');
	});

	test('fails on a short plan (a crash mid-stream), a bail-out, a timeout, a non-zero exit with passing TAP', async () => {
		const short = await execTap(fakeVm('1..4\nok 1 a\nSegmentation fault\n', { exitCode: 139 }), 'x');
		expect(failureOf(() => expect(short).toPassTap())).toMatch(
			/its TAP is incomplete; it exited with code 139:\n\nTAP problem: planned 4 cases, 1 ran\n/,
		);
		const bailed = await execTap(fakeVm('1..2\nBail out! no disk\n'), 'x');
		expect(failureOf(() => expect(bailed).toPassTap())).toMatch(/TAP problem: Bail out! no disk/);
		const hung = await execTap(fakeVm('1..2\nok 1 a\n', { exitCode: 137, timedOut: true, durationMs: 2000 }), 'x');
		expect(failureOf(() => expect(hung).toPassTap())).toMatch(/it was killed at its timeout after 2000 ms/);
		expect(await execTap(fakeVm('1..1\nok 1 a\n', { exitCode: 2 }), 'x')).not.toPassTap();
	});

	test('says what it needs when given something else', () => {
		expect(failureOf(() => expect({ stdout: '' }).toPassTap())).toMatch(/needs what execTap\(\) resolves/);
	});
});
