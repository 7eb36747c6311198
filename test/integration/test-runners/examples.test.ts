/**
 * Runs the Vitest examples (examples/kernel-module, examples/system-spec) as a user would after
 * copying one: type-check it, run its tests with Vitest, and expect every test to pass.
 */
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { afterEach, describe, expect, test } from 'vitest';
import { copyExample, createRunMarker, processesMarkedWith, readJsonReport, repoRoot, runNode } from '../../helpers/runner-projects.js';

const temps: Array<() => Promise<void>> = [];

afterEach(async () => {
	for (const cleanup of temps.splice(0)) await cleanup();
});

async function runExample(name: string): Promise<{ passed: string[]; others: string[]; output: string; leftRunning: string[] }> {
	const temp = await tempDir({ prefix: `vm-exec-example-${name}-`, unsafeCleanup: true });
	temps.push(temp.cleanup);
	const project = path.join(temp.path, name);
	await copyExample(name, project);
	const { env, marker } = createRunMarker();
	const typecheck = await runNode([path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project });
	expect(typecheck.exitCode, `tsc failed on examples/${name}:\n${typecheck.all}`).toBe(0);
	const reportFile = path.join(temp.path, 'report.json');
	const vitest = path.join(repoRoot, 'node_modules/vitest/vitest.mjs');
	const run = await runNode([vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`], {
		cwd: project,
		env,
	});
	const output = run.all ?? '';
	const tests = [...(await readJsonReport(reportFile).catch(() => new Map())).values()];
	return {
		passed: tests.filter((result) => result.status === 'passed').map((result) => result.title),
		others: tests.filter((result) => result.status !== 'passed').map((result) => `${result.status}: ${result.title}`),
		output: `exit code ${run.exitCode}\n${output}`,
		leftRunning: await processesMarkedWith(marker),
	};
}

describe('the examples a user copies', () => {
	test('kernel-module: builds the C module and passes its load, /proc, dmesg, /sys/module and unload tests', async () => {
		const { passed, others, output, leftRunning } = await runExample('kernel-module');
		expect(others, output).toEqual([]);
		expect(passed, output).toHaveLength(4);
		expect(leftRunning).toEqual([]);
	}, 600_000);

	test('system-spec: passes its sysctl, network device, mount and user tests', async () => {
		const { passed, others, output, leftRunning } = await runExample('system-spec');
		expect(others, output).toEqual([]);
		expect(passed, output).toHaveLength(7);
		expect(leftRunning).toEqual([]);
	}, 600_000);
});
