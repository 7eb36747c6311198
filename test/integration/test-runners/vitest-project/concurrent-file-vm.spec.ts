import { expect, test } from '../../../../src/test-runners/vitest.js';
import { record } from './record.js';

// Boot the file VM before the tests start, so the short timeout below is spent in the command, not the boot.
test.beforeAll(async ({ fileVm }) => {
	await fileVm.succeed('true');
});

test.concurrent(
	'times out in its own command while another test runs (expected to fail)',
	async ({ fileVm }) => {
		record('concurrent-a', { pid: fileVm.pid });
		await fileVm.exec('exec sleep 607');
	},
	5000,
);

test.concurrent('keeps its own command and report when a concurrent test times out (expected to fail)', async ({ fileVm }) => {
	// Waits in the guest (30 s at most each) for the other test's command to start, then for that test's
	// timeout to kill it: this command must outlive it, since only the other test's signal was aborted.
	// The brackets keep pgrep from matching this script's own command line.
	const waited = await fileVm.exec(`
			running() { pgrep -f 'sleep 60[7]' >/dev/null; }
			deadline=$(($(date +%s) + 30))
			until running; do [ "$(date +%s)" -lt "$deadline" ] || { echo never-started; exit 2; }; sleep 0.25; done
			deadline=$(($(date +%s) + 30))
			while running; do [ "$(date +%s)" -lt "$deadline" ] || { echo never-killed; exit 1; }; sleep 0.25; done
			echo other-killed`);
	record('concurrent-b', { pid: fileVm.pid, exitCode: waited.exitCode, isCanceled: waited.isCanceled, stdout: waited.stdout.trim() });
	await fileVm.exec('echo "the second test went wrong" >&2; exit 4');
	expect('the second actual value').toBe('the second expected value');
});
