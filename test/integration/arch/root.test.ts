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
