/**
 * Helpers for the tests that run a test runner (Vitest, Jest) as a child process on a project: copy
 * an example, run the runner, read its JSON report, and find processes that outlived the run.
 */
import { randomUUID } from 'node:crypto';
import { access, cp, mkdir, readdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * A marker for the environment of a child test run: every process it starts (QEMU included) inherits
 * it, so `processesMarkedWith()` finds any that outlived the run. (A QEMU wrapper would do too, but
 * would change the QEMU path, which keys vm-exec's snapshot cache.)
 */
export function createRunMarker(): { env: Record<string, string>; marker: string } {
	const marker = `${process.pid}-${randomUUID()}`;
	return { env: { VM_EXEC_TEST_RUN: marker }, marker };
}

/** The processes still running with this marker in their environment, as "pid command line". */
export async function processesMarkedWith(marker: string): Promise<string[]> {
	const found: string[] = [];
	for (const entry of await readdir('/proc')) {
		if (!/^\d+$/.test(entry)) continue;
		const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
		if (!environ.split('\0').includes(`VM_EXEC_TEST_RUN=${marker}`)) continue;
		const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
		found.push(`${entry} ${commandLine.split('\0').join(' ').trim()}`);
	}
	return found;
}

/** Read a JSON-lines file of records `{ what, ... }`, keyed by `what`. */
export async function readRecords(file: string): Promise<Map<string, Record<string, unknown>>> {
	const text = await readFile(file, 'utf8').catch(() => '');
	const records = new Map<string, Record<string, unknown>>();
	for (const line of text.split('\n').filter(Boolean)) {
		const record = JSON.parse(line) as { what: string };
		records.set(record.what, record);
	}
	return records;
}

interface JsonAssertion {
	title: string;
	fullName: string;
	status: string;
	failureMessages: string[];
}

/** The outcome of each test in a Vitest or Jest `--json` report, keyed by test title. */
export async function readJsonReport(file: string): Promise<Map<string, JsonAssertion>> {
	const report = JSON.parse(await readFile(file, 'utf8')) as { testResults: Array<{ assertionResults: JsonAssertion[] }> };
	const tests = new Map<string, JsonAssertion>();
	for (const fileResult of report.testResults) {
		for (const assertion of fileResult.assertionResults) tests.set(assertion.title, assertion);
	}
	return tests;
}

/** Build outputs of the kernel-module example: never copied, so a copy always builds afresh. */
const BUILD_OUTPUT = /(\.ko|\.o|\.mod|\.mod\.c|\.cmd|Module\.symvers|modules\.order)$/;

/**
 * Copy `examples/<name>` into `dir` as a user would have it after `npm install`: its node_modules link
 * vm-exec to this repository (its built `dist/`) and the tools to the repository's own.
 */
export async function copyExample(name: string, dir: string): Promise<void> {
	await access(path.join(repoRoot, 'dist/test-runners/vitest.js')).catch(() => {
		throw new Error('dist/ is not built: run `npm run build` before the examples tests (`npm test` does).');
	});
	const source = path.join(repoRoot, 'examples', name);
	await cp(source, dir, { recursive: true, filter: (file) => !file.includes(`${path.sep}node_modules`) && !BUILD_OUTPUT.test(file) });
	const modules = path.join(dir, 'node_modules');
	await mkdir(path.join(modules, '@types'), { recursive: true });
	await symlink(repoRoot, path.join(modules, 'vm-exec'));
	for (const tool of ['vitest', 'jest', 'typescript', '@types/node']) {
		await symlink(path.join(repoRoot, 'node_modules', tool), path.join(modules, tool));
	}
}

/** Run a Node script (a test runner's bin) in `cwd`, never rejecting: the caller checks the outcome. */
export async function runNode(args: string[], options: { cwd: string; env?: Record<string, string>; nodeOptions?: string[] }) {
	return execa(process.execPath, [...(options.nodeOptions ?? []), ...args], {
		cwd: options.cwd,
		env: { NO_COLOR: '1', ...options.env },
		reject: false,
		all: true,
	});
}
