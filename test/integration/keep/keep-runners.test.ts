/**
 * keep: 'failed' in every test-runner VM, end to end: real Vitest (the `vm` and `fileVm` fixtures, useVm()
 * per test and per describe block) and real Jest (useVm() per test and per describe block) run projects
 * whose failing tests leave a mark in their VM. Each failed kind leaves one kept VM, announced at the end
 * of its test's report, listed by `vm-exec ps` and entered by `vm-exec attach`; passing tests keep nothing;
 * `vm-exec kill` ends them all and nothing of the runs is left. The runs use a kept dir of their own
 * (VM_EXEC_KEPT_DIR), so `ps` shows exactly their VMs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI_PATH, runCli } from '../../helpers/built-cli.js';
import { createRunMarker, processesMarkedWith, repoRoot } from '../../helpers/runner-projects.js';
import { startInTmux } from '../../helpers/tmux.js';

assertCliBuilt();
const { env: markerEnv, marker } = createRunMarker();
let keptDir = '';
const env = () => ({ ...markerEnv, VM_EXEC_KEPT_DIR: keptDir });
const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString();
const cli = async (args: string[]) => runCli(args, { env: env() });

/** `vm-exec ps`'s rows: id → { pid, test }. */
async function ps(): Promise<Map<string, { pid: number; test: string }>> {
	const rows = new Map<string, { pid: number; test: string }>();
	for (const line of text((await cli(['ps'])).stdout)
		.split('\n')
		.slice(1)) {
		const match = /^([0-9a-f]{6})\s+\S+\s+\S+\s+(\d+)\s+(.*)$/.exec(line);
		if (match) rows.set(match[1]!, { pid: Number(match[2]), test: match[3]! });
	}
	return rows;
}

/** Run a test runner on a project with VM_EXEC_KEEP=failed; the ids its failed tests announce, in order. */
async function runKeeping(args: string[], cwd: string, nodeOptions: string[] = []): Promise<{ ids: string[]; output: string }> {
	const run = await execa(process.execPath, [...nodeOptions, ...args], {
		cwd,
		env: { ...env(), VM_EXEC_KEEP: 'failed', VM_EXEC_KEEP_LIMIT: '300', NO_COLOR: '1' },
		reject: false,
		all: true,
		timeout: 100_000,
	});
	const output = run.all ?? '';
	return { ids: [...new Set([...output.matchAll(/\n\s*vm-exec attach ([0-9a-f]{6})\n/g)].map((match) => match[1]!))], output };
}

async function attachAndRead(id: string, command: string, expected: RegExp): Promise<void> {
	// --norc: the host user's startup files (run under emulation) are not what this test is about.
	const terminal = await startInTmux(`VM_EXEC_KEPT_DIR=${keptDir} node ${CLI_PATH} attach --norc ${id}`);
	try {
		// The three waits together (60 + 20 + 20 s) stay below the test's 115 s.
		await terminal.waitFor(/root@vm-exec:[^\n]*#$/, 60_000);
		await terminal.send(command, 'Enter');
		await terminal.waitFor(expected, 20_000);
		await terminal.send('exit', 'Enter');
		expect(await terminal.exitStatus(20_000)).toBe(0);
	} finally {
		await terminal.kill();
	}
}

async function killAllAndExpectNothingLeft(): Promise<void> {
	for (const id of (await ps()).keys()) expect((await cli(['kill', id])).exitCode).toBe(0);
	expect((await ps()).size).toBe(0);
	// QEMU, the keepers and their watchdogs all carry the run's marker.
	const deadline = Date.now() + 20_000;
	while ((await processesMarkedWith(marker)).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
	expect(await processesMarkedWith(marker)).toEqual([]);
}

beforeAll(async () => {
	keptDir = await mkdtemp(path.join(os.tmpdir(), 'vm-exec-kept-test-'));
});
afterAll(async () => {
	await cli(['kill', '--all']);
	for (const line of await processesMarkedWith(marker)) process.kill(Number(line.split(' ')[0]), 'SIGKILL');
	await rm(keptDir, { recursive: true, force: true });
});

describe('keep: failed in Vitest', () => {
	let ids: string[] = [];

	it('keeps one VM per failed kind (vm, fileVm, useVm per test and per block), each announced in its test’s report', async () => {
		const project = path.join(repoRoot, 'test/integration/keep/keep-project');
		const run = await runKeeping([path.join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--root', project], project);
		ids = run.ids;
		expect(run.output).toMatch(/Tests\s+4 failed \| 5 passed/);
		expect(ids, run.output).toHaveLength(4);
		const kept = await ps();
		expect([...kept.keys()].sort()).toEqual([...ids].sort());
		const tests = [...kept.values()].map((row) => row.test).sort();
		expect(tests).toEqual([
			'failing.spec.ts > leaves a mark and fails (expected to fail)',
			'the describe block’s VM from useVm(), failed: use-vm.spec.ts > a VM per describe block > leaves a mark in the block VM and fails (expected to fail)',
			'the file VM `fileVm`, failed: file-vm.spec.ts > leaves a mark in the file VM and fails (expected to fail)',
			'use-vm.spec.ts > a VM per test > leaves a mark in its own VM and fails (expected to fail)',
		]);
	}, 115_000);

	it('attaches to the kept file VM and block VM, which hold what their failed tests left; kill ends them all', async () => {
		expect(ids).toHaveLength(4);
		const kept = await ps();
		const idOf = (start: string) => [...kept].find(([, row]) => row.test.startsWith(start))![0];
		await Promise.all([
			attachAndRead(idOf('the file VM'), 'cat /tmp/mark', /^file-vm-state$/m),
			attachAndRead(idOf('the describe block'), 'cat /tmp/mark', /^per-suite-state$/m),
		]);
		await killAllAndExpectNothingLeft();
	}, 115_000);
});

describe('keep: failed in Jest', () => {
	it('keeps the VMs of useVm() per test and per block whose tests failed; kill ends them', async () => {
		const project = path.join(repoRoot, 'test/integration/keep/jest-project');
		const run = await runKeeping([path.join(repoRoot, 'node_modules/jest/bin/jest.js'), '--rootDir', project], project, [
			'--experimental-vm-modules',
		]);
		expect(run.output).toMatch(/Tests:\s+2 failed, 2 passed, 4 total/);
		expect(run.ids, run.output).toHaveLength(2);
		const kept = await ps();
		expect([...kept.keys()].sort()).toEqual([...run.ids].sort());
		expect([...kept.values()].map((row) => row.test).sort()).toEqual([
			'a VM per test leaves a mark in its own VM and fails (expected to fail)',
			'the describe block’s VM from useVm(), failed: a VM per describe block leaves a mark in the block VM and fails (expected to fail)',
		]);
		await killAllAndExpectNothingLeft();
	}, 115_000);
});
