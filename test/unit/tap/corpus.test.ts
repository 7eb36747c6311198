/**
 * The parser and the kselftest verdict on real output of linux-source-6.1's selftests (see corpus/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { KselftestRunParser, parseKselftestRun } from '../../../src/tap/kselftest-output.js';
import { judgeKselftest } from '../../../src/tap/kselftest-verdict.js';
import { parseTap } from '../../../src/tap/parser.js';
import { summarizeTap } from '../../../src/tap/summary.js';

const corpus = (name: string) => readFileSync(new URL(`corpus/${name}`, import.meta.url), 'utf8');
const exitCodes = JSON.parse(corpus('kselftest-6.1/exit-codes.json')) as Record<string, number>;

describe('real selftest output (linux-source-6.1, run as run_kselftest.sh runs each)', () => {
	// file, run_kselftest.sh's verdict, [total, passed, failed, skipped], the stream's TAP problems
	test.each([
		['timens-timens.txt', 'pass', [10, 8, 0, 2], []],
		['timens-timerfd.txt', 'pass', [3, 2, 0, 1], []], // prints its plan twice (once more from a forked child): harmless
		['timens-timer.txt', 'pass', [3, 2, 0, 1], []],
		['timens-clock_nanosleep.txt', 'pass', [4, 2, 0, 2], []],
		['timens-procfs.txt', 'pass', [2, 2, 0, 0], []],
		['timens-exec.txt', 'pass', [1, 1, 0, 0], []],
		['timens-futex.txt', 'pass', [2, 2, 0, 0], []],
		// Plans 3 cases and prints none (it counts them without result lines): the exit status decides.
		['kcmp-kcmp_test.txt', 'pass', [0, 0, 0, 0], ['planned 3 cases, 0 ran']],
		['sigaltstack-sas.txt', 'pass', [3, 3, 0, 0], []],
		['size-get_size.txt', 'pass', [1, 1, 0, 0], []], // plan last, YAML block after a comment
		['mincore-mincore_selftest.txt', 'pass', [5, 3, 0, 2], []], // kselftest_harness.h
		['membarrier-membarrier_test_single_thread.txt', 'pass', [13, 13, 0, 0], []],
		['membarrier-membarrier_test_multi_thread.txt', 'pass', [13, 13, 0, 0], []],
		['openat2-openat2_test.txt', 'pass', [116, 115, 0, 1], []],
		['openat2-resolve_test.txt', 'pass', [88, 88, 0, 0], []],
		// Not TAP at all: judged by the exit status alone.
		['splice-default_file_splice_read.sh.txt', 'pass', [0, 0, 0, 0], ['no plan and no results']],
		['splice-short_splice_read.sh.txt', 'fail', [0, 0, 0, 0], ['no plan and no results']],
		['rlimits-rlimits-per-userns.txt', 'fail', [0, 0, 0, 0], ['no plan and no results']],
		['pidfd-pidfd_fdinfo_test.txt', 'pass', [2, 2, 0, 0], []],
		['pidfd-pidfd_getfd_test.txt', 'pass', [4, 4, 0, 0], []],
		['pidfd-pidfd_open_test.txt', 'pass', [3, 3, 0, 0], []],
		['pidfd-pidfd_poll_test.txt', 'pass', [1, 1, 0, 0], ['no plan (1 results)']],
		['pidfd-pidfd_wait.txt', 'pass', [3, 3, 0, 0], []],
		// Real failures (execs run chrooted today): six harness cases fail on their assertions.
		['pidfd-pidfd_setns_test.txt', 'fail', [7, 1, 6, 0], []],
		// Hangs after case 7 printing the same line (killed by `timeout 60`, exit 124; kept: its first 4000 bytes).
		['pidfd-pidfd_test.txt', 'timeout', [7, 7, 0, 0], ['planned 8 cases, 7 ran']],
	] as const)('%s: %s', (file, status, [total, passed, failed, skipped], problems) => {
		const output = corpus(`kselftest-6.1/${file}`);
		const summary = summarizeTap(parseTap(output));
		expect([summary.total, summary.passed, summary.failed, summary.skipped]).toEqual([total, passed, failed, skipped]);
		expect(summary.problems).toEqual(problems);
		const exitCode = exitCodes[file];
		expect(judgeKselftest({ exitCode, timedOut: exitCode === 124, output, timeoutSeconds: 60 }).status).toBe(status);
	});

	test('every file of the corpus is in the table above', () => {
		expect(Object.keys(exitCodes)).toHaveLength(25);
	});

	test('a failing kselftest_harness.h case carries its assertion lines as diagnostics', () => {
		const summary = summarizeTap(parseTap(corpus('kselftest-6.1/pidfd-pidfd_setns_test.txt')));
		expect(summary.failures[0]).toEqual({
			number: 2,
			name: 'current_nsset.invalid_flags',
			path: [],
			diagnostics: [
				'#  RUN           current_nsset.invalid_flags ...',
				'# pidfd_setns_test.c:161:invalid_flags:Expected self->child_pid_exited (-1) > 0 (0)',
				'# pidfd_setns_test.c:166:invalid_flags:Expected sys_waitid(P_PID, self->child_pid_exited, WEXITED | WNOWAIT) (-1) == 0 (0)',
				'# invalid_flags: Test terminated by assertion',
				'#          FAIL  current_nsset.invalid_flags',
			],
			yaml: undefined,
			note: undefined,
		});
	});

	test('skip reasons of the cases are read', () => {
		const doc = parseTap(corpus('kselftest-6.1/mincore-mincore_selftest.txt'));
		expect(doc.cases.filter((c) => c.status === 'skip').map((c) => c.directive?.reason)).toEqual([
			'No huge pages available.',
			'O_TMPFILE not supported by filesystem.',
		]);
		// kselftest_harness.h prints a case's RUN/OK lines before its result line: they are its diagnostics.
		expect(doc.cases[2]!.diagnostics).toEqual([
			'#  RUN           global.check_huge_pages ...',
			'#      SKIP      No huge pages available.',
			'#            OK  global.check_huge_pages',
		]);
	});
});

describe("run_kselftest.sh's two-level output", () => {
	test('a result per selftest with its own output un-prefixed and parsed, across collections', () => {
		const results = parseKselftestRun(corpus('kselftest-6.1/run_kselftest.txt'));
		expect(results.map((r) => [`${r.collection}:${r.test}`, r.number, r.status, r.note])).toEqual([
			['timens:timens', 1, 'pass', undefined],
			['timens:timerfd', 2, 'pass', undefined],
			['timens:timer', 3, 'pass', undefined],
			['timens:clock_nanosleep', 4, 'pass', undefined],
			['timens:procfs', 5, 'pass', undefined],
			['timens:exec', 6, 'pass', undefined],
			['timens:futex', 7, 'pass', undefined],
			['kcmp:kcmp_test', 1, 'pass', undefined],
			['sigaltstack:sas', 1, 'pass', undefined],
			['size:get_size', 1, 'pass', undefined],
			['mincore:mincore_selftest', 1, 'pass', undefined],
			['splice:default_file_splice_read.sh', 1, 'pass', undefined],
			['splice:short_splice_read.sh', 2, 'fail', 'exit=3'],
			['rlimits:rlimits-per-userns', 1, 'fail', 'exit=1'],
		]);
		const timens = results[0]!;
		expect(summarizeTap(timens.tap)).toMatchObject({ ok: true, total: 10, passed: 8, skipped: 2 });
		expect(timens.output.split('\n')[0]).toBe('1..10');
		// The nested YAML keeps its one-space indentation once the runner's "# " is off.
		expect(results[9]!.tap.cases[0]!.yaml).toMatch(/^Total: +\d+\nFree:/);
		expect(results[12]!.output).toMatch(/^FAIL: test_module kernel module load should work$/m);
	});

	test('fed in chunks, it gives the same results and reports each nested case as it arrives', () => {
		const text = corpus('kselftest-6.1/run_kselftest.txt');
		const seen: string[] = [];
		const parser = new KselftestRunParser(undefined, (event, selftest) => {
			if (event.type === 'case') seen.push(`${selftest.collection}:${selftest.test} ${event.case.number}`);
		});
		for (let at = 0; at < text.length; at += 100) parser.write(text.slice(at, at + 100));
		expect(parser.end()).toEqual(parseKselftestRun(text));
		expect(seen.slice(0, 3)).toEqual(['timens:timens 1', 'timens:timens 2', 'timens:timens 3']);
		expect(seen).toHaveLength(10 + 3 + 3 + 4 + 2 + 1 + 2 + 3 + 1 + 5);
	});

	test('a timeout, and a run cut off inside a selftest', () => {
		const results = parseKselftestRun(corpus('hand/run_kselftest-timeout.txt'));
		expect(results.map((r) => [r.test, r.status, r.note])).toEqual([
			['default_file_splice_read.sh', 'pass', undefined],
			['short_splice_read.sh', 'timeout', 'TIMEOUT 5 seconds'],
			['timens', 'pass', undefined],
			['exec', 'fail', 'no result line: the run ended inside it (crashed, or cut off by a timeout)'],
		]);
	});
});

describe('judgeKselftest', () => {
	test('exit 4 is a skip with the reason the selftest gave', () => {
		expect(
			judgeKselftest({ exitCode: 4, timedOut: false, output: 'TAP version 13\n1..0 # SKIP needs CONFIG_FOO\n', timeoutSeconds: 45 }),
		).toMatchObject({
			status: 'skip',
			reason: 'needs CONFIG_FOO',
		});
		expect(judgeKselftest({ exitCode: 4, timedOut: false, output: 'no /dev/watchdog\n', timeoutSeconds: 45 }).reason).toBe(
			'no /dev/watchdog',
		);
	});

	test('a timeout says how many cases had finished', () => {
		const verdict = judgeKselftest({ exitCode: 137, timedOut: true, output: '1..5\nok 1 a\nok 2 b\n', timeoutSeconds: 2 });
		expect(verdict).toMatchObject({ status: 'timeout', reason: 'killed at its timeout of 2 s (2 cases had finished)' });
	});

	test('a failing exit status fails even with passing TAP, and a VM that died has none', () => {
		expect(judgeKselftest({ exitCode: 1, timedOut: false, output: '1..1\nok 1 a\n', timeoutSeconds: 45 }).status).toBe('fail');
		expect(judgeKselftest({ exitCode: undefined, timedOut: false, output: '', timeoutSeconds: 45 }).reason).toBe(
			'no exit status (the VM died)',
		);
	});
});
