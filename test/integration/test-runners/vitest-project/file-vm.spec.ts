import { expect, test } from '../../../../src/test-runners/vitest.js';
import { record } from './record.js';

test.beforeAll(async ({ fileVm }) => {
	record('file-before-all', { pid: fileVm.pid });
	await fileVm.succeed('echo from-before-all > /root/marker');
});

test('shares the file VM with beforeAll', async ({ fileVm }) => {
	record('file-1', { pid: fileVm.pid });
	expect(await fileVm.exec('cat /root/marker')).toHaveStdout('from-before-all');
	await fileVm.succeed('echo from-test > /root/marker');
});

test('shares the file VM with the previous test', async ({ fileVm }) => {
	record('file-2', { pid: fileVm.pid });
	expect(await fileVm.exec('cat /root/marker')).toHaveStdout('from-test');
});

test('boots the file VM with the options provided in the config', async ({ fileVm }) => {
	expect(await fileVm.exec('nproc')).toHaveStdout('2');
});

test('times out in a long command (expected to fail)', async ({ fileVm }) => {
	await fileVm.exec('touch /root/sleep-started; exec sleep 600');
}, 3000);

test('finds the file VM usable, with the timed-out command killed', async ({ fileVm }) => {
	expect(await fileVm.exec('test -e /root/sleep-started')).toSucceed();
	// The bracket keeps pgrep from matching this script's own command line.
	const sleeping = await fileVm.exec("pgrep -f 'sleep 60[0]'");
	record('after-timeout', { pid: fileVm.pid, sleeping: sleeping.stdout.trim() });
	expect(sleeping).toFail();
});
