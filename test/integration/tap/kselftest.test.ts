/**
 * describeKselftests() in a real Vitest run: real selftests of linux-source-6.1 (timens, kcmp, built in
 * beforeAll and cached) pass, one per Vitest test; a fixture selftest made to fail shows its failing case,
 * diagnostics and output in the report; one that exits 4 is a Vitest skip; one that hangs is cut at its
 * collection's settings timeout with the cases so far; progress lines appear in the output as cases finish.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { dir as tempDir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildKselftests } from '../../helpers/kselftests.js';
import { createRunMarker, processesMarkedWith, repoRoot } from '../../helpers/runner-projects.js';

const projectDir = path.join(repoRoot, 'test/integration/tap/kselftest-project');

interface Assertion {
	fullName: string;
	status: string;
	failureMessages: string[];
}

describe('the kernel selftests as Vitest tests', () => {
	let cleanup: (() => Promise<void>) | undefined;
	let tests: Map<string, Assertion>;
	let output: string;
	let marker: string;

	beforeAll(async () => {
		const installDir = await buildKselftests();
		const temp = await tempDir({ prefix: 'vm-exec-kselftest-test-', unsafeCleanup: true });
		cleanup = temp.cleanup;
		const run = createRunMarker();
		marker = run.marker;
		const reportFile = path.join(temp.path, 'report.json');
		const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
		const result = await execa(
			process.execPath,
			[vitest, 'run', '--root', projectDir, '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`],
			{ cwd: projectDir, env: { ...run.env, VM_EXEC_KSELFTESTS: installDir, NO_COLOR: '1' }, reject: false, all: true },
		);
		output = `exit code ${result.exitCode}\n${result.all ?? ''}`;
		const report = JSON.parse(await readFile(reportFile, 'utf8').catch(() => '{"testResults":[]}')) as {
			testResults: Array<{ assertionResults: Assertion[] }>;
		};
		tests = new Map(report.testResults.flatMap((file) => file.assertionResults).map((assertion) => [assertion.fullName, assertion]));
	}, 600_000);

	afterAll(async () => {
		await cleanup?.();
	});

	test('one Vitest test per selftest, and the real ones pass', () => {
		const outcomes = Object.fromEntries([...tests.values()].map((t) => [t.fullName, t.status]));
		expect(outcomes, output).toEqual({
			'linux-source-6.1 timens timens': 'passed',
			'linux-source-6.1 timens timerfd': 'passed',
			'linux-source-6.1 timens timer': 'passed',
			'linux-source-6.1 timens clock_nanosleep': 'passed',
			'linux-source-6.1 timens procfs': 'passed',
			'linux-source-6.1 timens exec': 'passed',
			'linux-source-6.1 timens futex': 'passed',
			'linux-source-6.1 kcmp kcmp_test': 'passed',
			'via run_kselftest.sh kcmp kcmp_test': 'passed',
			'fixture fixture fails_a_case': 'failed',
			'fixture fixture skips': 'skipped',
			'fixture fixture hangs': 'failed',
		});
	});

	test('the failing selftest names its failing case with diagnostics first, then its own output', () => {
		const message = tests.get('fixture fixture fails_a_case')?.failureMessages.join('\n') ?? '';
		expect(message, output).toMatch(
			/kselftest fixture:fails_a_case failed: exit status 1, 1 of 3 cases failed\n\nnot ok 2 check_answer\n {4}# check_answer: expected 42, got 41\n {4}# at fails_a_case:9\n/,
		);
		expect(message).toMatch(/output of fixture:fails_a_case:\n {2}TAP version 13\n[\s\S]*its own stderr line/);
		// The default reporter prints it too.
		expect(output).toMatch(/not ok 2 check_answer/);
	});

	test('the hanging selftest is cut at its settings timeout, with the cases it finished', () => {
		const message = tests.get('fixture fixture hangs')?.failureMessages.join('\n') ?? '';
		expect(message, output).toMatch(/kselftest fixture:hangs timed out: killed at its timeout of 4 s \(2 cases had finished\)/);
		expect(message).toMatch(/TAP problem: planned 3 cases, 2 ran/);
	});

	test('progress lines appear in the output as cases finish, and no VM outlives the run', async () => {
		expect(output).toMatch(/timens:timens ✓ 1 Passed for CLOCK_BOOTTIME \(syscall\)/);
		expect(output).toMatch(/timens:timens ↓ 3 # SKIP CLOCK_BOOTTIME_ALARM isn't supported/);
		expect(output).toMatch(/fixture:hangs ✓ 2 second/);
		expect(await processesMarkedWith(marker)).toEqual([]);
	});
});
