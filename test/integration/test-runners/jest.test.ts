/**
 * Runs real Jest (native ESM) on examples/jest, as a user would after copying it, and expects every
 * test to pass: vm-exec/jest's useVm() per suite and per test, and its matchers.
 */
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { afterAll, expect, test } from 'vitest';
import { copyExample, createRunMarker, processesMarkedWith, readJsonReport, repoRoot, runNode } from '../../helpers/runner-projects.js';

let cleanup: (() => Promise<void>) | undefined;

afterAll(async () => {
	await cleanup?.();
});

test('the Jest example passes with a VM per describe block and a VM per test', async () => {
	const temp = await tempDir({ prefix: 'vm-exec-example-jest-', unsafeCleanup: true });
	cleanup = temp.cleanup;
	const project = path.join(temp.path, 'jest');
	await copyExample('jest', project);
	const { env, marker } = createRunMarker();
	const reportFile = path.join(temp.path, 'report.json');
	const run = await runNode([path.join(repoRoot, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${reportFile}`], {
		cwd: project,
		nodeOptions: ['--experimental-vm-modules'],
		env,
	});
	const output = `exit code ${run.exitCode}\n${run.all ?? ''}`;
	const tests = [...(await readJsonReport(reportFile).catch(() => new Map())).values()];
	expect(
		tests.filter((result) => result.status !== 'passed').map((result) => `${result.status}: ${result.title}`),
		output,
	).toEqual([]);
	expect(
		tests.map((result) => result.title),
		output,
	).toHaveLength(5);
	expect(run.exitCode, output).toBe(0);
	expect(await processesMarkedWith(marker)).toEqual([]);
}, 600_000);
