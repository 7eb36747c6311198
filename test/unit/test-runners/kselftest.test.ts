import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { afterEach, describe, expect, test } from 'vitest';
import { listKselftests, parseKselftestList, parseKselftestSettingsTimeout } from '../../../src/test-runners/kselftest-install.js';
import { buildKselftestScript, kselftestArgsVariable, runKselftest } from '../../../src/test-runners/kselftest-run.js';
import type { ExecOptions } from '../../../src/options.js';
import type { ExecResult } from '../../../src/vm/exec-result.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
	for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A stand-in VM: "prints" the chunks through onStdout, then resolves as exec would. */
function fakeVm(chunks: string[], result: Partial<ExecResult<string>> = {}) {
	const scripts: string[] = [];
	return {
		scripts,
		async exec(script: string, options: ExecOptions<'utf8'> = {}): Promise<ExecResult<string>> {
			scripts.push(script);
			for (const chunk of chunks) options.onStdout?.(Buffer.from(chunk));
			return { script, stdout: chunks.join(''), stderr: '', exitCode: 0, durationMs: 5, timedOut: false, isCanceled: false, ...result };
		},
	};
}

describe('kselftest-list.txt and settings', () => {
	test('reads collection:test lines in order', () => {
		expect(parseKselftestList('timens:timens\ntimens:exec\n\nkcmp:kcmp_test\nbroken\n')).toEqual([
			{ collection: 'timens', name: 'timens' },
			{ collection: 'timens', name: 'exec' },
			{ collection: 'kcmp', name: 'kcmp_test' },
		]);
	});

	test.each([
		['timeout=120\n', 120],
		['# a comment\ntimeout=0\n', 0],
		['timeout=10\ntimeout=300\n', 300],
		['# timeout=5\n', undefined],
		['', undefined],
	])('settings %j: timeout %s', (text, timeout) => {
		expect(parseKselftestSettingsTimeout(text)).toBe(timeout);
	});

	test('lists the chosen collections with their settings timeout (45 s without one), excluding what is asked', async () => {
		const temp = await tempDir({ unsafeCleanup: true });
		cleanups.push(temp.cleanup);
		await writeFile(
			path.join(temp.path, 'kselftest-list.txt'),
			'timens:timens\ntimens:exec\nkcmp:kcmp_test\nsplice:short_splice_read.sh\n',
		);
		await mkdir(path.join(temp.path, 'splice'));
		await writeFile(path.join(temp.path, 'splice/settings'), 'timeout=5\n');
		const collections = listKselftests(temp.path, { collections: ['splice', 'timens'], exclude: ['timens:exec'] });
		expect(collections.map((c) => [c.name, c.timeoutSeconds, c.tests.map((t) => t.id)])).toEqual([
			['splice', 5, ['splice:short_splice_read.sh']],
			['timens', 45, ['timens:timens']],
		]);
		expect(() => listKselftests(temp.path, { collections: ['nope'] })).toThrow(
			/No collection nope in .*kselftest-list.txt \(it has: timens, kcmp, splice\)/,
		);
		expect(() => listKselftests(path.join(temp.path, 'splice'))).toThrow(
			/is not a kselftest install directory: it has no kselftest-list.txt/,
		);
	});
});

describe('runKselftest', () => {
	const selftest = { collection: 'timens', name: 'timerfd', id: 'timens:timerfd', installDir: '/opt/ks', timeoutSeconds: 45 };

	test("runs the program in its collection's directory with its KSELFTEST_*_ARGS and 2>&1", () => {
		expect(kselftestArgsVariable('cpu-on-off-test.sh')).toBe('KSELFTEST_CPU_ON_OFF_TEST_SH_ARGS');
		const script = buildKselftestScript(selftest, 'program');
		expect(script).toContain("cd '/opt/ks/timens' || exit 1");
		expect(script).toContain("exec './timerfd' $KSELFTEST_TIMERFD_ARGS 2>&1");
		expect(buildKselftestScript(selftest, 'run_kselftest')).toContain("./run_kselftest.sh -t 'timens:timerfd' 2>&1 | cat");
	});

	test('reports progress per case as the output streams, and passes on exit 0', async () => {
		const lines: string[] = [];
		const vm = fakeVm(['1..3\nok 1 clockid=7\n', 'ok 2 clockid=1\nok 3 # SKIP CLOCK_BOOTTIME_ALARM', " isn't supported\n"]);
		const outcome = await runKselftest(vm, selftest, { onProgress: (line) => lines.push(line) });
		expect(outcome.status).toBe('pass');
		expect(outcome.failure).toBeUndefined();
		expect(lines).toEqual([
			'timens:timerfd ✓ 1 clockid=7',
			'timens:timerfd ✓ 2 clockid=1',
			"timens:timerfd ↓ 3 # SKIP CLOCK_BOOTTIME_ALARM isn't supported",
		]);
	});

	test('a failure names the failing case with its diagnostics first, then the output', async () => {
		const vm = fakeVm(['TAP version 13\n1..2\nok 1 first\n# FAIL: expected 1, got 2\nnot ok 2 second\n# Totals: pass:1 fail:1\n'], {
			exitCode: 1,
		});
		const outcome = await runKselftest(vm, selftest);
		expect(outcome.status).toBe('fail');
		const message = outcome.failure!.message;
		expect(message.split('\n').slice(0, 4)).toEqual([
			'kselftest timens:timerfd failed: exit status 1, 1 of 2 cases failed',
			'',
			'not ok 2 second',
			'    # FAIL: expected 1, got 2',
		]);
		expect(message).toMatch(/output of timens:timerfd:\n  TAP version 13\n/);
	});

	test('exit 4 is a skip; a timeout keeps the cases so far', async () => {
		expect((await runKselftest(fakeVm(['1..0 # SKIP no timens\n'], { exitCode: 4 }), selftest)).reason).toBe('no timens');
		const cut = await runKselftest(fakeVm(['1..3\nok 1 a\n'], { exitCode: 137, timedOut: true }), selftest, { timeout: 2000 });
		expect(cut.status).toBe('timeout');
		expect(cut.failure?.message.split('\n')[0]).toBe(
			'kselftest timens:timerfd timed out: killed at its timeout of 2 s (1 case had finished)',
		);
	});

	test('through run_kselftest.sh: the nested output of the selftest is judged', async () => {
		const vm = fakeVm([
			'TAP version 13\n1..1\n# selftests: timens: timerfd\n# 1..1\n# not ok 1 clockid=7\nnot ok 1 selftests: timens: timerfd # exit=1\n',
		]);
		const lines: string[] = [];
		const outcome = await runKselftest(vm, selftest, { via: 'run_kselftest', onProgress: (line) => lines.push(line) });
		expect([outcome.status, outcome.reason, outcome.output]).toEqual(['fail', 'run_kselftest.sh: exit=1', '1..1\nnot ok 1 clockid=7\n']);
		expect(lines).toEqual(['timens:timerfd ✗ 1 clockid=7']);
	});
});
