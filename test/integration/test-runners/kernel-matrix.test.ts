/**
 * Runs examples/kernel-matrix as a user would: the same spec against the host's kernel and Debian's
 * PREEMPT_RT kernel (unpacked by `scripts/install-host-deps.sh --kernel=rt-amd64`), one Vitest project each.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { dir as tempDir } from 'tmp-promise';
import { expect, test } from 'vitest';
import { ARCH_DIR, requireUnpacked } from '../../helpers/arch-dirs.js';
import { copyExample, createRunMarker, processesMarkedWith, repoRoot, runNode } from '../../helpers/runner-projects.js';

requireUnpacked(path.join(ARCH_DIR, 'kernel-rt-amd64'), 'sh scripts/install-host-deps.sh --kernel=rt-amd64');

test('kernel-matrix: runs its spec once per kernel, the rt kernel included', async () => {
	const temp = await tempDir({ prefix: 'vm-exec-example-kernel-matrix-', unsafeCleanup: true });
	try {
		const project = path.join(temp.path, 'kernel-matrix');
		await copyExample('kernel-matrix', project);
		const { env, marker } = createRunMarker();
		const typecheck = await runNode([path.join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: project });
		expect(typecheck.exitCode, `tsc failed on examples/kernel-matrix:\n${typecheck.all}`).toBe(0);
		const reportFile = path.join(temp.path, 'report.json');
		const run = await runNode(
			[
				path.join(repoRoot, 'node_modules/vitest/vitest.mjs'),
				'run',
				'--reporter=default',
				'--reporter=json',
				`--outputFile.json=${reportFile}`,
			],
			// Only the kernels this test asks for: the host's and the rt flavour.
			{ cwd: project, env: { ...env, VM_EXEC_KERNELS: '' } },
		);
		const output = `exit code ${run.exitCode}\n${run.all ?? ''}`;
		// Every project reports the same titles: count the assertions of each file result, not titles.
		const report = JSON.parse(await readFile(reportFile, 'utf8').catch(() => '{"testResults":[]}')) as {
			testResults: Array<{ assertionResults: Array<{ title: string; status: string }> }>;
		};
		const results = report.testResults.flatMap((file) => file.assertionResults);
		expect(
			results.filter((result) => result.status !== 'passed').map((result) => result.title),
			output,
		).toEqual([]);
		// Three tests in each project: host and rt-amd64 at least (other unpacked flavours add theirs).
		expect(results.filter((result) => result.status === 'passed').length, output).toBeGreaterThanOrEqual(6);
		expect(output).toMatch(/rt-amd64/);
		expect(await processesMarkedWith(marker)).toEqual([]);
	} finally {
		await temp.cleanup();
	}
}, 600_000);
