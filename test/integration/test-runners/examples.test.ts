/**
 * Runs the Vitest examples (examples/kernel-module, system-spec, disk-image, nix-image, debugging) as a user would
 * after copying one: type-check it, run its tests with Vitest, and expect every test to pass. The debugging
 * example's keep demo fails on purpose: its kept VM is then listed, and stopped, with the built CLI.
 * The kselftest example runs once, with the JUnit reporter as well: its XML must hold every selftest.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { assertCliBuilt, CLI_PATH } from '../../helpers/built-cli.js';
import { copyExample, createRunMarker, processesMarkedWith, readJsonReport, repoRoot, runNode } from '../../helpers/runner-projects.js';

const temps: Array<() => Promise<void>> = [];

afterEach(async () => {
	for (const cleanup of temps.splice(0)) await cleanup();
});

interface ExampleRun {
	passed: string[];
	others: string[];
	output: string;
	leftRunning: string[];
	/** The environment marker of the run's processes (see `processesMarkedWith`). */
	marker: string;
}

/** Copy examples/<name>, type-check it, and run Vitest in it (with `vitestArgs` and `extraEnv`). */
async function runExample(name: string, vitestArgs: string[] = [], extraEnv: Record<string, string> = {}): Promise<ExampleRun> {
	const temp = await tempDir({ prefix: `vm-exec-example-${name}-`, unsafeCleanup: true });
	temps.push(temp.cleanup);
	const project = path.join(temp.path, name);
	await copyExample(name, project);
	const { env, marker } = createRunMarker();
	const typecheck = await runNode([path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project });
	expect(typecheck.exitCode, `tsc failed on examples/${name}:\n${typecheck.all}`).toBe(0);
	const reportFile = path.join(temp.path, 'report.json');
	const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
	const run = await runNode([vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...vitestArgs], {
		cwd: project,
		env: { ...env, ...extraEnv },
	});
	const output = run.all ?? '';
	const tests = [...(await readJsonReport(reportFile).catch(() => new Map())).values()];
	return {
		passed: tests.filter((result) => result.status === 'passed').map((result) => result.title),
		others: tests.filter((result) => result.status !== 'passed').map((result) => `${result.status}: ${result.title}`),
		output: `exit code ${run.exitCode}\n${output}`,
		leftRunning: await processesMarkedWith(marker),
		marker,
	};
}

/** The processes of a run still alive after up to `ms` (polled): [] once all are gone. */
async function processesGone(marker: string, ms: number): Promise<string[]> {
	const deadline = Date.now() + ms;
	let left = await processesMarkedWith(marker);
	while (left.length > 0 && Date.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, 250));
		left = await processesMarkedWith(marker);
	}
	return left;
}

describe('the examples a user copies', () => {
	test('kernel-module: builds the C module and passes its load, /proc, kernel log, warning, /sys/module and unload tests', async () => {
		const { passed, others, output, leftRunning } = await runExample('kernel-module');
		expect(others, output).toEqual([]);
		expect(passed, output).toHaveLength(5);
		expect(leftRunning).toEqual([]);
	}, 600_000);

	test('system-spec: passes its sysctl, network device, mount and user tests', async () => {
		const { passed, others, output, leftRunning } = await runExample('system-spec');
		expect(others, output).toEqual([]);
		expect(passed, output).toHaveLength(7);
		expect(leftRunning).toEqual([]);
	}, 600_000);

	test('nix-image: installs a closure built on the host into an image with nix copy in the VM; the host store is unchanged', async () => {
		const { passed, others, output, leftRunning } = await runExample('nix-image');
		expect(others, output).toEqual([]);
		expect(passed, output).toHaveLength(5);
		expect(leftRunning).toEqual([]);
	}, 600_000);

	test('disk-image: partitions, formats and fills an image in the VM, then debugfs and e2fsck read it on the host', async () => {
		const { passed, others, output, leftRunning } = await runExample('disk-image');
		expect(others, output).toEqual([]);
		expect(passed, output).toHaveLength(3);
		expect(leftRunning).toEqual([]);
	}, 600_000);

	test('debugging: passes its wait-helper, exec-as-a-user and gdb tests', async () => {
		const { passed, others, output, leftRunning } = await runExample('debugging');
		expect(others, output).toEqual([]);
		expect(passed, output).toHaveLength(12);
		expect(leftRunning).toEqual([]);
	}, 600_000);

	test('debugging keep demo: the failing test keeps its VM, its report names `vm-exec attach <id>`, ps lists it, kill stops it', async () => {
		assertCliBuilt();
		// A kept-VM registry of this test's own, so that other tests' `vm-exec kill --all` cannot touch this VM.
		const keptDir = await tempDir({ prefix: 'vm-exec-example-kept-', unsafeCleanup: true });
		temps.push(keptDir.cleanup);
		const keptEnv = { VM_EXEC_KEPT_DIR: keptDir.path };
		const cli = (...args: string[]) => runNode([CLI_PATH, ...args], { cwd: keptDir.path, env: keptEnv });
		let id: string | undefined;
		try {
			const run = await runExample('debugging', ['--config', 'vitest.keep-demo.config.ts'], { ...keptEnv, VM_EXEC_KEEP: 'failed' });
			expect(run.passed, run.output).toEqual([]);
			expect(run.others, run.output).toEqual(['failed: a new dummy device is up (it is not: nobody ran `ip link set d0 up`)']);
			id = /^\s*vm-exec attach ([0-9a-f]+)$/m.exec(run.output)?.[1];
			expect(id, run.output).toBeDefined();
			// The kept VM outlives the runner (it is the one process still carrying the run's marker, with its keeper and watchdog).
			expect(run.leftRunning.join('\n')).toMatch(/qemu-system/);
			const ps = await cli('ps');
			expect(ps.stdout).toMatch(new RegExp(`^${id}\\s+.*a new dummy device is up`, 'm'));
			const kill = await cli('kill', id!);
			expect(kill.exitCode, kill.all).toBe(0);
			id = undefined;
			expect((await cli('ps')).stdout).toMatch(/^No kept VMs\./);
			expect(await processesGone(run.marker, 30_000)).toEqual([]);
		} finally {
			if (id) await cli('kill', id);
		}
	}, 600_000);
});

describe('the kselftest example', () => {
	let run: ExampleRun;
	let junit: string;

	beforeAll(async () => {
		const reports = await tempDir({ prefix: 'vm-exec-example-junit-', unsafeCleanup: true });
		temps.push(reports.cleanup);
		const junitFile = path.join(reports.path, 'junit.xml');
		run = await runExample('kselftest', ['--reporter=junit', `--outputFile.junit=${junitFile}`]);
		junit = await readFile(junitFile, 'utf8').catch(() => '');
	}, 600_000);

	test('kselftest: builds timens, kcmp, sigaltstack, size and mincore from linux-source-6.1 and passes their 11 selftests', () => {
		expect(run.others, run.output).toEqual([]);
		expect(run.passed.sort(), run.output).toEqual(
			[
				'clock_nanosleep',
				'exec',
				'futex',
				'get_size',
				'kcmp_test',
				'mincore_selftest',
				'procfs',
				'sas',
				'timens',
				'timer',
				'timerfd',
			].sort(),
		);
		expect(run.output).toMatch(/timens:timens ✓ 1 Passed for CLOCK_BOOTTIME \(syscall\)/);
		expect(run.leftRunning).toEqual([]);
	});

	test('kselftest with --reporter=junit: the XML holds a testcase per selftest, in a suite per collection', () => {
		const cases = [...junit.matchAll(/<testcase classname="[^"]*" name="([^"]+)"/g)].map((match) => match[1]);
		expect(cases, junit).toHaveLength(11);
		expect(cases).toContain('kselftest &gt; timens &gt; timerfd');
		expect(cases).toContain('kselftest &gt; mincore &gt; mincore_selftest');
		expect(junit).toMatch(/<testsuites [^>]*tests="11" failures="0" errors="0"/);
	});
});
