/**
 * Run a command as another user of the guest: `exec(script, { user })` takes a name or a uid and gives the
 * script that user's uid, gid, supplementary groups, HOME and USER. Users are looked up in the guest, so
 * one that an earlier exec added is there. All the tests share one VM.
 */
import { VmUnknownUserError } from 'vm-exec';
import { expect, test } from 'vm-exec/vitest';

test('runs a command as nobody, who cannot write to /root', async ({ fileVm }) => {
	expect(await fileVm.exec('id -un; echo "$USER"', { user: 'nobody' })).toHaveStdout('nobody\nnobody\n');
	const denied = await fileVm.exec('touch /root/from-nobody', { user: 'nobody' });
	expect(denied).toFail();
	expect(denied.stderr).toMatch(/Permission denied/);
});

test('takes a uid as well as a name', async ({ fileVm }) => {
	expect(await fileVm.exec('id -u', { user: 65534 })).toHaveStdout('65534\n');
});

test('runs as a user that an earlier exec added, with its groups and home', async ({ fileVm }) => {
	await fileVm.succeed('groupadd developers && useradd --create-home --groups developers alice');
	const alice = await fileVm.exec('id -Gn; echo "$HOME"; touch ~/notes', { user: 'alice' });
	expect(alice).toSucceed();
	expect(alice.stdout).toMatch(/^alice developers\n\/home\/alice\n$/);
	// What the script made belongs to alice.
	expect(await fileVm.exec('stat -c %U /home/alice/notes')).toHaveStdout('alice');
});

test('an unknown user is an error before anything runs', async ({ fileVm }) => {
	await expect(fileVm.exec('touch /tmp/never', { user: 'mallory' })).rejects.toThrow(VmUnknownUserError);
	expect(await fileVm.exec('test -e /tmp/never')).toFail();
});
