import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm, VmUnknownUserError, VmWaitTimeoutError } from '../../../src/index.js';

// One VM for the file: every check here is a few execs.
let vm: Vm;
beforeAll(async () => {
	vm = await startVm();
}, 90_000);
afterAll(async () => {
	await vm?.close();
});

describe('wait helpers', () => {
	it('waitUntilSucceeds resolves once the script succeeds, with its result', async () => {
		await vm.succeed('rm -f /tmp/flag; (sleep 1; touch /tmp/flag) >/dev/null 2>&1 &');
		const result = await vm.waitUntilSucceeds('test -e /tmp/flag && echo there', { timeout: 20_000, interval: 100 });
		expect(result).toMatchObject({ exitCode: 0, stdout: 'there\n' });
	});

	it('waitUntilSucceeds times out with the last attempt’s output', async () => {
		const error = await vm
			.waitUntilSucceeds('echo attempt-output; echo oops >&2; exit 4', { timeout: 1500, interval: 200 })
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VmWaitTimeoutError);
		const wait = error as VmWaitTimeoutError;
		expect(wait.message).toMatch(/^waitUntilSucceeds timed out after \d+ ms \(\d+ attempts?\)/);
		expect(wait.message).toContain('exited with code 4');
		expect(wait.message).toContain('oops');
		expect(wait.message).toContain('attempt-output');
		expect(wait).toMatchObject({ exitCode: 4, stdout: 'attempt-output\n', stderr: 'oops\n' });
		expect(wait.attempts).toBeGreaterThanOrEqual(1);
	});

	it('kills an attempt that is still running at the deadline', async () => {
		const error = await vm.waitUntilSucceeds('sleep 30', { timeout: 1000 }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VmWaitTimeoutError);
		expect((error as VmWaitTimeoutError).message).toContain('still running at the deadline');
	});

	it('waitUntilFails resolves once the script fails, and times out while it succeeds', async () => {
		await vm.succeed('touch /tmp/gone-soon; (sleep 1; rm /tmp/gone-soon) >/dev/null 2>&1 &');
		expect((await vm.waitUntilFails('test -e /tmp/gone-soon', { timeout: 20_000 })).exitCode).toBe(1);
		const error = await vm.waitUntilFails('echo still fine', { timeout: 800 }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VmWaitTimeoutError);
		expect((error as Error).message).toMatch(/^waitUntilFails timed out .*waiting for the command to fail/s);
		expect((error as Error).message).toContain('still fine');
	});

	it('waitForFile waits for a path, and times out naming it', async () => {
		await vm.succeed("(sleep 1; mkdir -p '/tmp/a dir'; echo x > '/tmp/a dir/file') >/dev/null 2>&1 &");
		expect((await vm.waitForFile('/tmp/a dir/file', { timeout: 20_000 })).exitCode).toBe(0);
		const error = await vm.waitForFile('/tmp/never', { timeout: 600 }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VmWaitTimeoutError);
		expect((error as Error).message).toMatch(/^waitForFile timed out.*\/tmp\/never/s);
	});

	it('waitForOpenPort waits for a listener inside the guest, and times out on a closed port', async () => {
		// A listener that appears a second later, made with bash only (the guest runs the host's programs).
		await vm.succeed(
			`(sleep 1; exec python3 -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 8123)); s.listen(); time.sleep(60)') >/dev/null 2>&1 &`,
		);
		expect((await vm.waitForOpenPort(8123, { timeout: 30_000 })).exitCode).toBe(0);
		expect((await vm.waitForOpenPort(8123, { host: 'localhost', timeout: 10_000 })).exitCode).toBe(0);
		const error = await vm.waitForOpenPort(8124, { timeout: 800 }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VmWaitTimeoutError);
		expect((error as Error).message).toMatch(/^waitForOpenPort timed out/);
		expect((error as Error).message).toContain('8124');
	});

	it('rejects bad wait options with a TypeError', async () => {
		await expect(vm.waitUntilSucceeds('true', { timeout: -1 })).rejects.toThrow(
			/Expected the `timeout` option to be a number of milliseconds > 0/,
		);
		await expect(vm.waitForOpenPort(70_000)).rejects.toThrow(/Expected the port to be an integer from 1 to 65535/);
	});
});

describe('exec as a user', () => {
	it('runs as nobody with its uid, gid, groups, HOME and USER', async () => {
		const { stdout } = await vm.succeed('id -u; id -g; id -G; echo "$HOME $USER $LOGNAME"; whoami', { user: 'nobody' });
		const [uid, gid, groups, names, who] = stdout.trim().split('\n');
		expect(uid).toBe('65534');
		expect(gid).toBe('65534');
		expect(groups).toBe('65534');
		expect(names).toBe('/nonexistent nobody nobody');
		expect(who).toBe('nobody');
	});

	it('takes a uid, and keeps the exec’s env, cwd, input and exit status', async () => {
		const result = await vm.exec('id -un; pwd; echo "$GREETING"; cat; exit 5', {
			user: 65534,
			env: { GREETING: 'hi' },
			cwd: '/usr',
			input: 'in\n',
		});
		expect(result).toMatchObject({ exitCode: 5, stdout: 'nobody\n/usr\nhi\nin\n' });
	});

	it('gives a user added by an earlier exec its supplementary groups', async () => {
		await vm.succeed('groupadd -f wheelers && useradd -m -G wheelers alice');
		const { stdout } = await vm.succeed('id -un; id -Gn; echo "$HOME"; touch ~/mine && stat -c %U ~/mine', { user: 'alice' });
		expect(stdout).toBe('alice\nalice wheelers\n/home/alice\nalice\n');
	});

	it('runs a #! script as the user', async () => {
		expect((await vm.succeed('#!/bin/bash\necho "$(id -un) ${BASH_VERSINFO[0]}"', { user: 'nobody' })).stdout).toMatch(/^nobody \d+\n$/);
	});

	it('cannot do what root can', async () => {
		const result = await vm.exec('echo x > /etc/forbidden', { user: 'nobody' });
		expect(result.exitCode).not.toBe(0);
		expect(result.stderr).toContain('Permission denied');
	});

	it('rejects an unknown user with a clear error, and a malformed one with a TypeError', async () => {
		const error = await vm.exec('true', { user: 'no-such-user' }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(VmUnknownUserError);
		expect((error as Error).message).toMatch(/^The user `no-such-user` does not exist in the guest/);
		await expect(vm.exec('true', { user: 'a:b' })).rejects.toThrow(/Expected the `user` option to be a guest user name/);
	});

	it('works through the wait helpers', async () => {
		expect((await vm.waitUntilSucceeds('test "$(id -u)" = 65534', { user: 'nobody', timeout: 10_000 })).exitCode).toBe(0);
	});
});
