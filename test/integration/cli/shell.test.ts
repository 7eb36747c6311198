/**
 * `vm-exec shell` and `vm-exec` alone on a real terminal (tmux): a prompt, line editing, job control, ^C
 * reaching the guest's foreground job, the window size and its changes, and `exit N`. The tests of the
 * first block share one shell (one VM), in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, CLI_PATH, runCli } from '../../helpers/built-cli.js';
import { startInTmux, type Tmux } from '../../helpers/tmux.js';

assertCliBuilt();
/** The prompt at the end of the screen: the shell waits for input. */
const PROMPT_LAST = /root@vm-exec:[^\n]*#$/;

/** Clear the screen and wait for the prompt alone, so that what follows is all that is on it. */
async function clear(terminal: Tmux): Promise<void> {
	await terminal.send('clear', 'Enter');
	await terminal.waitFor(/^root@vm-exec:[^\n]*#$/, 30_000);
}

/** Type a command line and wait until its output, followed by a new prompt, is on the screen. */
async function run(terminal: Tmux, line: string, output: RegExp): Promise<void> {
	await terminal.send(line, 'Enter');
	await terminal.waitFor(new RegExp(`${output.source}\\n(?:.*\\n)*root@vm-exec:[^\\n]*#$`, 'm'), 30_000);
}

/**
 * ^C the foreground job until the prompt is back. `fg` names the job before it hands it the terminal, so a
 * ^C sent at once may still reach the shell (which ignores it): another follows while no prompt came back.
 */
async function interruptUntilPrompt(terminal: Tmux): Promise<void> {
	for (let attempt = 1; ; attempt++) {
		await terminal.send('C-c');
		try {
			await terminal.waitFor(PROMPT_LAST, 5_000);
			return;
		} catch (error) {
			if (attempt === 5) throw error;
		}
	}
}

describe('vm-exec shell', () => {
	let terminal: Tmux;
	beforeAll(async () => {
		terminal = await startInTmux(`node ${CLI_PATH} shell --shared=/tmp`, { cols: 100, rows: 30 });
		await terminal.waitFor(PROMPT_LAST, 100_000);
	}, 110_000);
	afterAll(async () => {
		await terminal?.kill();
	});

	it('runs commands on a real guest terminal of the host terminal’s size, with the VM options applied', async () => {
		await clear(terminal);
		await run(terminal, 'tty; stty size; ls -d /tmp/shared', /\/dev\/hvc\d\n30 100\n\/tmp\/shared/);
	});

	it('passes ^C to the foreground job, not to the shell or the VM', async () => {
		await clear(terminal);
		// The job itself says it started: by then the terminal is its (a marker the shell printed before
		// forking it could let the ^C arrive while the shell still held the terminal, and be lost).
		await terminal.send(`sh -c 'echo started; exec sleep 100'`, 'Enter');
		await terminal.waitFor(/^started$/m, 30_000);
		await terminal.send('C-c');
		await terminal.waitFor(/\^C\n(?:.*\n)*root@vm-exec:[^\n]*#$/, 30_000);
		await run(terminal, 'echo "status $?"', /^status 130/);
		// The job itself gets the SIGINT: its trap runs.
		await clear(terminal);
		await terminal.send(`sh -c 'trap "echo got-INT; exit 7" INT; echo ready; while :; do sleep 0.1; done'`, 'Enter');
		await terminal.waitFor(/^ready$/m, 30_000);
		await terminal.send('C-c');
		await terminal.waitFor(/got-INT$/m, 30_000);
		await terminal.waitFor(PROMPT_LAST, 30_000);
		await run(terminal, 'echo "trap status $?"', /^trap status 7/);
	});

	it('edits the line', async () => {
		await clear(terminal);
		// ^W rubs out the word before the cursor.
		await run(terminal, 'echo wrong\x17right', /^right/);
	});

	it('has job control', async () => {
		await clear(terminal);
		await run(terminal, 'sleep 77 &', /^\[1\] \d+/);
		await run(terminal, 'jobs', /\[1\]\+\s+Running\s+sleep 77 &/);
		await terminal.send('fg', 'Enter');
		await terminal.waitFor(/^sleep 77$/m, 30_000);
		await interruptUntilPrompt(terminal);
		await run(terminal, 'echo "fg status $?"', /^fg status 130/);
	});

	it('follows the host terminal’s window size', async () => {
		await terminal.resize(120, 40);
		await clear(terminal);
		await run(terminal, 'stty size', /^40 120/);
	});

	it('exits with the shell’s exit status', async () => {
		await terminal.send('exit 3', 'Enter');
		expect(await terminal.exitStatus(60_000)).toBe(3);
	});
});

describe('vm-exec without a script', () => {
	it('opens the shell on a terminal, with the options given', async () => {
		const terminal = await startInTmux(`node ${CLI_PATH} --memory=300M`);
		try {
			await terminal.waitFor(PROMPT_LAST, 90_000);
			await run(terminal, 'awk \'/MemTotal/ { print ($2 > 250000) ? "big" : "small" }\' /proc/meminfo', /^big/);
			await terminal.send('C-d');
			expect(await terminal.exitStatus(20_000)).toBe(0);
		} finally {
			await terminal.kill();
		}
	}, 115_000);

	it('keeps the usage error without a terminal', async () => {
		const bare = await runCli([]);
		expect(bare.exitCode).toBe(64);
		expect(Buffer.from(bare.stderr as Uint8Array).toString()).toContain('Missing the script to run in the VM');
		const shell = await runCli(['shell']);
		expect(shell.exitCode).toBe(64);
		expect(Buffer.from(shell.stderr as Uint8Array).toString()).toContain('needs a terminal');
		const withScript = await runCli(['shell', 'uname']);
		expect(withScript.exitCode).toBe(64);
		expect(Buffer.from(withScript.stderr as Uint8Array).toString()).toContain('`vm-exec shell` takes no script');
	});
});
