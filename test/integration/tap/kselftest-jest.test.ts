/**
 * listKselftests() and runKselftest() from vm-exec/jest in a real Jest run (native ESM): the timens
 * collection built from linux-source-6.1, one Jest test per selftest, all passing in one VM.
 */
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { afterAll, expect, test } from 'vitest';
import { buildKselftests } from '../../helpers/kselftests.js';
import { createRunMarker, processesMarkedWith, readJsonReport, repoRoot, runNode } from '../../helpers/runner-projects.js';

let cleanup: (() => Promise<void>) | undefined;
afterAll(async () => {
	await cleanup?.();
});

test('the timens selftests pass as Jest tests, one per selftest', async () => {
	const installDir = await buildKselftests();
	const temp = await tempDir({ prefix: 'vm-exec-kselftest-jest-', unsafeCleanup: true });
	cleanup = temp.cleanup;
	const { env, marker } = createRunMarker();
	const reportFile = path.join(temp.path, 'report.json');
	const run = await runNode([path.join(repoRoot, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${reportFile}`], {
		cwd: path.join(repoRoot, 'test/integration/tap/kselftest-jest-project'),
		nodeOptions: ['--experimental-vm-modules'],
		env: { ...env, VM_EXEC_KSELFTESTS: installDir },
	});
	const output = `exit code ${run.exitCode}\n${run.all ?? ''}`;
	const tests = [...(await readJsonReport(reportFile).catch(() => new Map())).values()];
	expect(
		tests.map((result) => `${result.status}: ${result.title}`),
		output,
	).toEqual(['timens', 'timerfd', 'timer', 'clock_nanosleep', 'procfs', 'exec', 'futex'].map((name) => `passed: ${name}`));
	expect(output).toMatch(/timens:timerfd ✓ 2 clockid=1/);
	expect(run.exitCode, output).toBe(0);
	expect(await processesMarkedWith(marker)).toEqual([]);
}, 600_000);
