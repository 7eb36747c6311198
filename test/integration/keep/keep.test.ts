/**
 * Keeping a failed test's VM, end to end: handed to a keeper, listed by `vm-exec ps`, attached to on a real
 * terminal (tmux; two at once), stopped by `vm-exec kill`, by its time limit, and still bounded when the
 * process that kept it was SIGKILLed. A child process stands in for the test runner (it uses the built
 * dist/, as a runner would use the package).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../../src/lifecycle/process-alive.js';
import type { KeptVmRecord } from '../../../src/keep/kept-registry.js';
import { assertCliBuilt, CLI_PATH, runCli } from '../../helpers/built-cli.js';
import { startInTmux } from '../../helpers/tmux.js';

assertCliBuilt();
const DIST = path.resolve(path.dirname(CLI_PATH), '..');

/**
 * A stand-in runner: boots a keepable VM, leaves a mark in it, keeps it, prints the record, then waits (or
 * exits). With `leftovers`, it also leaves that many execs running in the guest (as a test that ends
 * mid-command does), each blocked on the fifo /tmp/go (no CPU spent), then removing its /tmp/left.N and exiting 7.
 */
function startRunner(input: { keepLimit: number; stay: boolean; keep?: boolean; leftovers?: number }) {
	const script = `
		import { startVm } from ${JSON.stringify(path.join(DIST, 'index.js'))};
		import { keepVm } from ${JSON.stringify(path.join(DIST, 'keep/keep-vm.js'))};
		const vm = await startVm({ keep: 'failed', keepLimit: ${input.keepLimit} });
		// One exec before the leftovers, so that they take the ids the keeper's first execs had before it
		// numbered its own (v0x1, the first shell's).
		await vm.succeed('echo left-by-the-test > /tmp/mark; mkfifo /tmp/go');
		for (let i = 0; i < ${input.leftovers ?? 0}; i++) {
			vm.exec('touch /tmp/left.' + i + '; read -r line </tmp/go; rm /tmp/left.' + i + '; exit 7').catch(() => {});
		}
		await vm.waitUntilSucceeds('[ "$(ls /tmp/left.* 2>/dev/null | wc -l)" -ge ${input.leftovers ?? 0} ]', { timeout: 60_000 });
		if (${input.keep ?? true}) console.log(JSON.stringify(await keepVm(vm, { name: 'a failing test' })));
		else console.log(JSON.stringify({ qemuPid: vm.pid }));
		if (${input.stay}) setInterval(() => {}, 1000);
	`;
	return execa(process.execPath, ['--input-type=module', '-e', script], { reject: false, timeout: 100_000 });
}

async function firstLine(child: ReturnType<typeof startRunner>): Promise<KeptVmRecord> {
	return new Promise((resolve, reject) => {
		let text = '';
		child.stdout!.on('data', (chunk: Buffer) => {
			text += chunk.toString();
			const newline = text.indexOf('\n');
			if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)) as KeptVmRecord);
		});
		void child.then((result) => reject(new Error(`the runner ended first: ${result.stderr}`)));
	});
}

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (await check()) return;
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	throw new Error(`${what} did not happen within ${ms} ms`);
}

const ps = async () => Buffer.from((await runCli(['ps'])).stdout as Uint8Array).toString();
const started: number[] = [];
afterAll(async () => {
	for (const pid of started) if (isProcessAlive(pid)) process.kill(pid, 'SIGKILL');
	await runCli(['kill', '--all']);
});

describe('keep: failed', () => {
	it('keeps the VM after its runner exits: ps lists it, attach opens shells in it (two at once), kill stops it', async () => {
		// The runner's leftover execs end while a shell is attached: their ids must not be the keeper's (a
		// shared id would end the attached shell with the leftover's status, 7).
		const runner = startRunner({ keepLimit: 300_000, stay: false, leftovers: 6 });
		const record = await firstLine(runner);
		started.push(record.qemuPid, record.keeperPid);
		await runner;
		expect(isProcessAlive(record.qemuPid)).toBe(true);
		expect(await ps()).toMatch(new RegExp(`^${record.id}\\s+\\S+\\s+\\S+\\s+${record.qemuPid}\\s+a failing test$`, 'm'));

		// --norc: bash without the host user's startup files (the second attach has them), its usual prompt all the same.
		const first = await startInTmux(`node ${CLI_PATH} attach --norc ${record.id}`);
		const second = await startInTmux(`node ${CLI_PATH} attach ${record.id}`);
		try {
			await first.waitFor(/root@vm-exec:[^\n]*#$/, 90_000);
			await first.send('cat /tmp/mark; tty', 'Enter');
			await first.waitFor(/^left-by-the-test\n\/dev\/hvc\d$/m, 30_000);
			await second.waitFor(/root@vm-exec:[^\n]*#$/, 90_000);
			await second.send('tty; echo from-second > /tmp/second', 'Enter');
			await second.waitFor(/^\/dev\/hvc\d$/m, 30_000);
			await second.send('exit 3', 'Enter');
			expect(await second.exitStatus(30_000)).toBe(3);
			await first.send('cat /tmp/second', 'Enter');
			await first.waitFor(/^from-second$/m, 30_000);
			await first.send('while ls /tmp/left.* >/dev/null 2>&1; do : 1<>/tmp/go; sleep 0.2; done; sleep 2; echo still-here', 'Enter');
			await first.waitFor(/^still-here$/m, 30_000);
			await first.send('exit', 'Enter');
			expect(await first.exitStatus(30_000)).toBe(0);
		} finally {
			await first.kill();
			await second.kill();
		}
		// Leaving a shell leaves the VM.
		expect(isProcessAlive(record.qemuPid)).toBe(true);
		const kill = await runCli(['kill', record.id]);
		expect(kill.exitCode).toBe(0);
		await waitUntil(() => !isProcessAlive(record.qemuPid), 15_000, 'QEMU ending after vm-exec kill');
		await waitUntil(() => !existsSync(record.workspace), 15_000, 'the workspace being removed');
		expect(await ps()).not.toContain(record.id);
	}, 115_000);

	it('stops a kept VM at its time limit, even when the runner was SIGKILLed', async () => {
		const runner = startRunner({ keepLimit: 8000, stay: true });
		const record = await firstLine(runner);
		started.push(record.qemuPid, record.keeperPid);
		runner.kill('SIGKILL');
		await runner;
		expect(isProcessAlive(record.qemuPid)).toBe(true);
		expect(await ps()).toContain(record.id);
		await waitUntil(
			() => !isProcessAlive(record.qemuPid) && !isProcessAlive(record.keeperPid),
			40_000,
			'the kept VM stopping at its limit',
		);
		await waitUntil(() => !existsSync(record.workspace), 15_000, 'the workspace being removed');
		expect(await ps()).not.toContain(record.id);
	}, 100_000);

	it('stops a kept VM whose keeper was killed (the watchdog), and a keepable VM whose runner died before keeping it', async () => {
		const runner = startRunner({ keepLimit: 300_000, stay: false });
		const record = await firstLine(runner);
		started.push(record.qemuPid, record.keeperPid);
		await runner;
		process.kill(record.keeperPid, 'SIGKILL');
		await waitUntil(() => !isProcessAlive(record.qemuPid), 20_000, 'the watchdog stopping QEMU after its keeper died');

		const unkept = startRunner({ keepLimit: 300_000, stay: true, keep: false });
		const { qemuPid } = await firstLine(unkept);
		started.push(qemuPid);
		unkept.kill('SIGKILL');
		await unkept;
		await waitUntil(() => !isProcessAlive(qemuPid), 20_000, 'the watchdog stopping the QEMU of a dead runner');
	}, 110_000);

	it('says when there is nothing to attach to or kill', async () => {
		const attach = await runCli(['attach', 'nosuch']);
		expect(attach.exitCode).toBe(1);
		expect(Buffer.from(attach.stderr as Uint8Array).toString()).toContain('no kept VM with the id nosuch');
		expect((await runCli(['kill', 'nosuch'])).exitCode).toBe(1);
		expect((await runCli(['kill'])).exitCode).toBe(64);
	});
});
