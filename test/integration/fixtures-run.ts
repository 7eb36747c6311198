/**
 * Helpers for the tests that run a test runner (Vitest, Jest) as a child process on a project:
 * a QEMU wrapper that logs the pid of every QEMU started, and checks that they are all gone.
 */
import { access, chmod, cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** Write a `qemu-system-x86_64` wrapper into `dir` that logs its pid to `dir/qemu-pids` before exec'ing QEMU. */
export async function writeQemuWrapper(dir: string): Promise<{ wrapper: string; pidLog: string }> {
	const { stdout: qemu } = await execa('sh', ['-c', 'command -v "${VM_EXEC_QEMU:-qemu-system-x86_64}"']);
	const wrapper = path.join(dir, 'qemu-wrapper');
	const pidLog = path.join(dir, 'qemu-pids');
	await writeFile(pidLog, '');
	await writeFile(wrapper, `#!/bin/sh\necho "$$" >> '${pidLog}'\nexec '${qemu.trim()}' "$@"\n`);
	await chmod(wrapper, 0o755);
	return { wrapper, pidLog };
}

/** The pids in a wrapper's log that are still running. */
export async function runningPids(pidLog: string): Promise<number[]> {
	const pids = (await readFile(pidLog, 'utf8')).split('\n').filter(Boolean).map(Number);
	return pids.filter((pid) => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	});
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
	await access(path.join(repoRoot, 'dist/fixtures/vitest.js')).catch(() => {
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
