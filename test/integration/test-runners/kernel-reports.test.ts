/**
 * The kernel's verdict in the test runners: Vitest on test/integration/test-runners/kernel-project and Jest on
 * kernel-jest-project, whose tests make the guest kernel report splats with the splat fixture module (built
 * here against the booted kernel's headers). A test during which the kernel reported a problem fails after
 * its own assertions, with the report; one that expects it passes; a later test on the same file VM is not
 * failed by it; a background process's splat is charged to the test that was running.
 */
import path from 'node:path';
import { execa } from 'execa';
import { dir as tempDir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildSplatModule, type BuiltSplatModule, BUILD_TIMEOUT_MS } from '../../helpers/splat-module.js';
import { createRunMarker, processesMarkedWith, readJsonReport, repoRoot } from '../../helpers/runner-projects.js';

let splat: BuiltSplatModule;
beforeAll(async () => {
	splat = await buildSplatModule();
}, BUILD_TIMEOUT_MS + 10_000);
afterAll(async () => {
	await splat?.cleanup();
});

describe('the kernel verdict in a real Vitest run', () => {
	let tests: Awaited<ReturnType<typeof readJsonReport>>;
	let output: string;
	let marker: string;
	let cleanup: (() => Promise<void>) | undefined;

	beforeAll(async () => {
		const temp = await tempDir({ prefix: 'vm-exec-kernel-fixtures-', unsafeCleanup: true });
		cleanup = temp.cleanup;
		const run = createRunMarker();
		marker = run.marker;
		const projectDir = path.join(repoRoot, 'test/integration/test-runners/kernel-project');
		const reportFile = path.join(temp.path, 'report.json');
		const result = await execa(
			process.execPath,
			[
				path.join(repoRoot, 'node_modules/vitest/vitest.mjs'),
				'run',
				'--root',
				projectDir,
				'--reporter=default',
				'--reporter=json',
				`--outputFile.json=${reportFile}`,
			],
			{ cwd: projectDir, env: { ...run.env, VM_EXEC_SPLAT_DIR: splat.dir, NO_COLOR: '1' }, reject: false, all: true, timeout: 400_000 },
		);
		output = result.all ?? '';
		tests = await readJsonReport(reportFile).catch((error: unknown) => {
			throw new Error(`Vitest wrote no report (exit code ${result.exitCode}):\n${output}`, { cause: error });
		});
	}, 420_000);
	afterAll(async () => {
		await cleanup?.();
	});

	const failureOf = (title: string) => tests.get(title)?.failureMessages.join('\n') ?? '';

	test('fails exactly the tests during which the kernel reported a problem and that did not expect it', () => {
		const outcomes = [...tests.values()].map((result) => [result.title, result.status]);
		expect(outcomes.length, output).toBe(12);
		for (const [title, status] of outcomes)
			expect(status, `${title}\n${output}`).toBe(title?.includes('(expected to fail)') ? 'failed' : 'passed');
	});

	test('names the report in the failure: its title, module, trace and the exec that caused it', () => {
		const failure = failureOf('a WARN at module load fails the test after its own assertions (expected to fail)');
		expect(failure).toMatch(
			/^VmKernelReportError: The guest kernel reported a WARNING during this test: WARNING: CPU: \d+ PID: \d+ at \S+ vmx_splat_init/,
		);
		expect(failure).toMatch(/module: vm_exec_splat/);
		expect(failure).toMatch(/call trace:\n\s+do_one_initcall/);
		expect(failure).toMatch(/logged during `mountpoint -q \/sys\/kernel\/debug .*insmod \/tmp\/shared\/vm_exec_splat.ko warn_on/);
		expect(failure).toMatch(/vm\.expectKernelReport/);
	});

	test('appends the report to a test that failed by its own assertion', () => {
		const failure = failureOf('a failing assertion gets the kernel report appended (expected to fail)');
		expect(failure).toMatch(/^AssertionError: expected 'the module' to be 'loaded without a warning'/);
		expect(failure).toMatch(/── vm-exec: the guest kernel of test VM `vm` reported during this test/);
		expect(failure).toMatch(/vm_exec_splat: deliberate warning/);
	});

	test('charges a splat to the test during which it was logged, in the file VM, and never to the next test', () => {
		expect(failureOf('fileVm: a WARN fails the test during which it was logged (expected to fail)')).toMatch(
			/logged during `echo 1 >\/sys\/kernel\/debug\/vmx_splat\/warn`/,
		);
		expect(tests.get('fileVm: the next test is not failed by it')?.status).toBe('passed');
		expect(
			failureOf('fileVm: a splat of a background process between two execs is charged to the test that ran (expected to fail)'),
		).toMatch(/logged while no exec ran/);
		expect(tests.get('fileVm: and the test after that passes')?.status).toBe('passed');
		const oops = failureOf(
			'fileVm: a NULL dereference in a debugfs write handler fails the test; the writing shell dies (expected to fail)',
		);
		expect(oops).toMatch(/BUG: kernel NULL pointer dereference/);
		expect(oops).toMatch(/at: vmx_splat_null\+0x[0-9a-f]+\/0x[0-9a-f]+ \[vm_exec_splat\]/);
		expect(tests.get('fileVm: the same oops, expected, passes')?.status).toBe('passed');
	});

	test("shows the report of a test with kernelReports: 'report' without failing it", () => {
		expect(output).toMatch(/── vm-exec: the guest kernel of test VM `vm` reported during this test[^\n]*\n[^\n]*WARNING/);
	});

	test('leaves no QEMU process behind', async () => {
		expect(await processesMarkedWith(marker)).toEqual([]);
	});
});

describe('the kernel verdict in a real Jest run', () => {
	test('fails the test whose module WARNed and passes the one that expected it', async () => {
		const project = path.join(repoRoot, 'test/integration/test-runners/kernel-jest-project');
		const run = await execa(
			process.execPath,
			['--experimental-vm-modules', path.join(repoRoot, 'node_modules/jest/bin/jest.js'), '--rootDir', project],
			{
				cwd: project,
				env: { VM_EXEC_SPLAT_DIR: splat.dir, NO_COLOR: '1' },
				reject: false,
				all: true,
				timeout: 200_000,
			},
		);
		const output = run.all ?? '';
		expect(output).toMatch(/Tests:\s+1 failed, 1 passed, 2 total/);
		expect(output).toMatch(/The guest kernel reported a WARNING during this test: WARNING: .*vmx_splat_init/);
		expect(output).toMatch(/a VM per test › fails when its module WARNs at load \(expected to fail\)/);
	}, 220_000);
});
