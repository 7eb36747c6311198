/**
 * Runs Vitest on test/integration/test-runners/vitest-project (whose tests use the fixtures, some failing
 * on purpose) and checks what a user would see: which tests passed, the failure messages, which VMs
 * were shared, and that no QEMU process outlived the run.
 */
import path from 'node:path';
import { execa } from 'execa';
import { dir as tempDir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createRunMarker, processesMarkedWith, readJsonReport, readRecords, repoRoot } from '../../helpers/runner-projects.js';

const projectDir = path.join(repoRoot, 'test/integration/test-runners/vitest-project');

/** The failure block Vitest's default reporter printed for a test, from its " FAIL " line to the next. */
function failureShown(output: string, title: string): string {
	const start = output.indexOf(` > ${title}\n`);
	if (start < 0) throw new Error(`Vitest printed no failure for "${title}":\n${output}`);
	const end = output.indexOf(' FAIL ', start);
	return output.slice(start, end < 0 ? undefined : end);
}

describe('the Vitest fixtures, in a real Vitest run', () => {
	let cleanup: () => Promise<void>;
	let tests: Awaited<ReturnType<typeof readJsonReport>>;
	let records: Awaited<ReturnType<typeof readRecords>>;
	let marker: string;
	let output: string;

	beforeAll(async () => {
		const temp = await tempDir({ prefix: 'vm-exec-fixtures-test-', unsafeCleanup: true });
		cleanup = temp.cleanup;
		const run = createRunMarker();
		marker = run.marker;
		const reportFile = path.join(temp.path, 'report.json');
		const recordFile = path.join(temp.path, 'records.jsonl');
		const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
		const result = await execa(
			process.execPath,
			[vitest, 'run', '--root', projectDir, '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`],
			{
				cwd: projectDir,
				env: { ...run.env, VM_EXEC_FIXTURE_LOG: recordFile, NO_COLOR: '1' },
				reject: false,
				all: true,
			},
		);
		output = result.all ?? '';
		tests = await readJsonReport(reportFile).catch((error: unknown) => {
			throw new Error(`Vitest wrote no report (exit code ${result.exitCode}):\n${output}`, { cause: error });
		});
		records = await readRecords(recordFile);
	}, 600_000);

	afterAll(async () => {
		await cleanup?.();
	});

	test('passes the tests meant to pass and fails only those meant to fail', () => {
		const outcomes = [...tests.values()].map((result) => [result.title, result.status]);
		expect(outcomes.length, output).toBe(17);
		for (const [title, status] of outcomes) {
			expect(status, `${title}\n${output}`).toBe(title?.includes('(expected to fail)') ? 'failed' : 'passed');
		}
	});

	test('boots the `vm` fixture only for tests that ask for it, fresh for each', () => {
		expect(records.get('no-vm')).toMatchObject({ vmInContext: false });
		const pids = ['fresh-1', 'fresh-2', 'override', 'failing'].map((what) => records.get(what)?.pid);
		expect(pids.every((pid) => typeof pid === 'number')).toBe(true);
		expect(new Set(pids).size).toBe(4);
	});

	test('applies createVmTest() defaults, and test.override() in a describe block', () => {
		// MemTotal is the guest memory minus what the kernel reserves.
		const fresh = records.get('fresh-1')?.memory as number;
		const overridden = records.get('override')?.memory as number;
		expect(fresh).toBeGreaterThan(250);
		expect(fresh).toBeLessThanOrEqual(320);
		expect(overridden).toBeGreaterThan(330);
		expect(overridden).toBeLessThanOrEqual(448);
	});

	test('shares one `fileVm` across the tests and hooks of a file', () => {
		const pids = ['file-before-all', 'file-1', 'file-2', 'after-timeout'].map((what) => records.get(what)?.pid);
		expect(typeof pids[0]).toBe('number');
		expect(new Set(pids).size).toBe(1);
	});

	test('shares a useVm() VM across a describe block, and gives per: "test" a fresh one', () => {
		const suite = [records.get('suite-1')?.pid, records.get('suite-2')?.pid];
		expect(typeof suite[0]).toBe('number');
		expect(suite[1]).toBe(suite[0]);
		expect(records.get('per-test')?.pid).not.toBe(suite[0]);
	});

	test('adds the guest console tail and the last command with its stderr to a failing test', () => {
		const message = failureShown(output, 'shows the guest console and the last command when it fails (expected to fail)');
		expect(message).toContain("AssertionError: expected 'the actual value' to be 'the expected value'");
		expect(message).toContain('── vm-exec: test VM `vm`, QEMU pid');
		expect(message).toContain('Last command (exited with code 7): echo "something went wrong" >&2; exit 7');
		expect(message).toMatch(/its stderr ended with:\n\s+\| something went wrong\n/);
		expect(message).toMatch(/Guest console ended with:\n(.*\n)*\s+\| \[ *[\d.]+\] vm-exec fixture: emergency marker\n/);
	});

	test('adds the same report for a useVm() VM, under the matcher failure', () => {
		const message = failureShown(output, 'reports the block VM when a test fails (expected to fail)');
		expect(message).toContain('Expected the command to succeed (exit code 0) in the VM, but it did not.');
		expect(message).toContain('── vm-exec: describe-block VM from useVm(), QEMU pid');
		expect(message).toMatch(
			/Last command \(exited with code 2\): echo "no such thing" >&2; exit 2\n\s+its stderr ended with:\n\s+\| no such thing\n/,
		);
	});

	test('kills a command still running when its test times out, and says so', () => {
		const message = failureShown(output, 'times out in a long command (expected to fail)');
		expect(message).toContain('Error: Test timed out in 3000ms.');
		expect(message).toContain('Last command (still running when the test ended, now killed): touch /root/sleep-started; exec sleep 600');
		expect(records.get('after-timeout')).toMatchObject({ sleeping: '' });
	});

	test('aborts the boot of a test VM when the test times out during it', () => {
		expect(failureShown(output, 'times out while the VM boots (expected to fail)')).toContain('Error: Test timed out in 50ms.');
		expect(records.has('boot-timeout-reached-body')).toBe(false);
	});

	test('gives each concurrent test its own view of the file VM: its own signal and its own report', () => {
		const first = failureShown(output, 'times out in its own command while another test runs (expected to fail)');
		const second = failureShown(output, 'keeps its own command and report when a concurrent test times out (expected to fail)');
		expect(records.get('concurrent-a')?.pid).toBe(records.get('concurrent-b')?.pid);
		// The second test's command ran through the first one's timeout, was not killed by it, and saw the
		// first one's command killed.
		expect(records.get('concurrent-b')).toMatchObject({ exitCode: 0, isCanceled: false, stdout: 'other-killed' });
		expect(first).toContain('Error: Test timed out in 5000ms.');
		expect(first).toContain('── vm-exec: file VM `fileVm`, QEMU pid');
		expect(first).toContain('Last command (still running when the test ended, now killed): exec sleep 607');
		expect(first).not.toContain('went wrong');
		expect(second).toContain("AssertionError: expected 'the second actual value' to be 'the second expected value'");
		expect(second).toContain('── vm-exec: file VM `fileVm`, QEMU pid');
		expect(second).toMatch(
			/Last command \(exited with code 4\): echo "the second test went wrong" >&2; exit 4\n\s+its stderr ended with:\n\s+\| the second test went wrong\n/,
		);
		expect(second).not.toContain('sleep 607');
	});

	test('leaves no QEMU process running after the run', async () => {
		expect(await processesMarkedWith(marker)).toEqual([]);
	});
});
