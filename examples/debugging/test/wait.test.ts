/**
 * Wait for the guest instead of sleeping a guessed time: start a service in the background, then wait
 * until its port is open, a file appears, or a check passes (or fails), as the NixOS test driver's
 * `wait_for_open_port`, `wait_for_file` and `wait_until_succeeds` do. All the tests share one VM.
 */
import { VmWaitTimeoutError } from 'vm-exec';
import { expect, test } from 'vm-exec/vitest';

// busybox (which vm-exec needs anyway) has a small web server and wget. The guest runs the host's programs.
const PORT = 8080;

test('waitForOpenPort: a web server started in the background answers once its port is open', async ({ fileVm }) => {
	// The server starts a second late, as a real daemon would; its pid is kept to stop it later.
	await fileVm.succeed(`
		mkdir -p /srv/www && echo 'hello from the guest' > /srv/www/index.html
		(sleep 1; exec busybox httpd -f -p ${PORT} -h /srv/www) >/dev/null 2>&1 &
		echo $! > /run/httpd.pid
	`);
	await fileVm.waitForOpenPort(PORT, { timeout: 20_000 });
	expect(await fileVm.exec(`busybox wget -q -O - http://127.0.0.1:${PORT}/`)).toHaveStdout('hello from the guest');
});

test('waitUntilFails: once the server is stopped, requests fail', async ({ fileVm }) => {
	await fileVm.succeed('kill "$(cat /run/httpd.pid)"');
	await fileVm.waitUntilFails(`busybox wget -q -O /dev/null http://127.0.0.1:${PORT}/`, { timeout: 20_000 });
});

test('waitForFile: a background job writes its result file', async ({ fileVm }) => {
	// The job writes a temporary file and renames it: waitForFile waits for the path to exist, and a file
	// written in place (`> /tmp/job.done`) exists, still empty, before the job has written into it.
	await fileVm.succeed('(sleep 1; uname -r > /tmp/job.tmp && mv /tmp/job.tmp /tmp/job.done) >/dev/null 2>&1 &');
	await fileVm.waitForFile('/tmp/job.done', { timeout: 20_000 });
	expect(await fileVm.exec('cat /tmp/job.done')).toHaveStdout(fileVm.kernel.release);
});

test('waitUntilSucceeds: retries until a network device shows up, and resolves with that attempt', async ({ fileVm }) => {
	await fileVm.succeed('(sleep 1; modprobe dummy && ip link add d-late type dummy) >/dev/null 2>&1 &');
	const found = await fileVm.waitUntilSucceeds('ip -br link show d-late', { timeout: 20_000, interval: 100 });
	expect(found).toHaveStdout(/^d-late\s/);
});

test('a wait that runs out of time rejects with the last attempt: its exit code and output', async ({ fileVm }) => {
	const error = await fileVm.waitUntilSucceeds('cat /tmp/never-written', { timeout: 1500 }).catch((caught: unknown) => caught);
	expect(error).toBeInstanceOf(VmWaitTimeoutError);
	const timeout = error as VmWaitTimeoutError;
	expect(timeout.message).toMatch(/^waitUntilSucceeds timed out after \d+ ms/);
	expect(timeout.exitCode).toBe(1);
	expect(timeout.stderr).toMatch(/No such file or directory/);
	expect(timeout.attempts).toBeGreaterThan(1);
});
