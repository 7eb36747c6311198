/**
 * An x86_64 VM with the host's kernel over a `root` directory instead of the host's `/`: a busybox tree
 * made here from the host's static busybox, with a file the host does not have.
 */
import { mkdir, symlink, writeFile, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { dir as tempDir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBusybox } from '../../../src/qemu/host-tools.js';
import { startVm, type Vm } from '../../../src/index.js';

async function makeBusyboxRoot(dir: string): Promise<void> {
	const busybox = await findBusybox();
	for (const sub of ['bin', 'sbin', 'proc', 'sys', 'dev', 'tmp', 'run', 'etc', 'lib/modules'])
		await mkdir(path.join(dir, sub), { recursive: true });
	await copyFile(busybox, path.join(dir, 'bin', 'busybox'));
	const applets = (await execa(busybox, ['--list'])).stdout.split('\n').filter((name) => /^[a-z0-9._-]+$/.test(name) && name !== 'busybox');
	for (const applet of applets) await symlink('/bin/busybox', path.join(dir, applet === 'modprobe' ? 'sbin' : 'bin', applet));
	await writeFile(path.join(dir, 'etc', 'only-in-this-root'), 'hello from the root\n');
}

describe('a VM of the host arch over a root directory', () => {
	let root: DirectoryResult;
	let vm: Vm;

	beforeAll(async () => {
		root = await tempDir({ prefix: 'vm-exec-root-', unsafeCleanup: true });
		await makeBusyboxRoot(root.path);
		vm = await startVm({ root: root.path, snapshot: false });
	});

	afterAll(async () => {
		await vm?.close();
		await root?.cleanup();
	});

	it("sees the root's files and not the host's", async () => {
		const result = await vm.exec(
			'cat /etc/only-in-this-root; test -e /etc/debian_version || echo "no /etc/debian_version"; readlink /bin/sh; pwd',
		);
		expect(result.stdout).toBe('hello from the root\nno /etc/debian_version\n/bin/busybox\n/\n');
		expect(result.exitCode).toBe(0);
	});

	it('keeps the root read-only under a throw-away overlay', async () => {
		await vm.succeed('echo changed >/etc/only-in-this-root');
		expect((await vm.succeed('cat /etc/only-in-this-root')).stdout).toBe('changed\n');
		const { readFile } = await import('node:fs/promises');
		expect(await readFile(path.join(root.path, 'etc', 'only-in-this-root'), 'utf8')).toBe('hello from the root\n');
	});

	it("loads the host kernel's modules, shared into the root at /lib/modules/$(uname -r)", async () => {
		const result = await vm.succeed('ls /lib/modules/$(uname -r)/modules.dep && modprobe dummy && grep -o "^dummy " /proc/modules');
		expect(result.stdout).toMatch(/modules\.dep\ndummy \n$/);
	});
});

describe('a root directory with nothing but a shell', () => {
	let root: DirectoryResult;

	beforeAll(async () => {
		root = await tempDir({ prefix: 'vm-exec-bare-root-', unsafeCleanup: true });
		const busybox = await findBusybox();
		await mkdir(path.join(root.path, 'bin'));
		await copyFile(busybox, path.join(root.path, 'bin', 'busybox'));
		for (const applet of ['sh', 'ls', 'cat', 'id', 'unshare', 'mount', 'modprobe', 'uname', 'grep'])
			await symlink('busybox', path.join(root.path, 'bin', applet));
	});

	afterAll(async () => {
		await root?.cleanup();
	});

	it('boots: the mount points (/proc, /sys, /dev, /tmp, /run, /mnt, /root) are made in the writable layer, not on the host', async () => {
		const { readdir } = await import('node:fs/promises');
		await using vm = await startVm({ root: root.path, snapshot: false, shell: '/bin/sh' });
		const result = await vm.succeed('ls -d /proc/1 /sys/kernel /dev/null /dev/fd /tmp /run/vm-exec /mnt /root; unshare -Ur id -u');
		expect(result.stdout).toBe('/dev/fd\n/dev/null\n/mnt\n/proc/1\n/root\n/run/vm-exec\n/sys/kernel\n/tmp\n0\n');
		expect(await readdir(root.path)).toEqual(['bin']);
	});

	it('is refused before booting when it has no shell, naming the shell', async () => {
		const empty = await tempDir({ prefix: 'vm-exec-no-shell-', unsafeCleanup: true });
		try {
			await expect(startVm({ root: empty.path, snapshot: false })).rejects.toThrow(`The shell /bin/sh is not in the root ${empty.path}`);
		} finally {
			await empty.cleanup();
		}
	});
});
