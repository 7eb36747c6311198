/**
 * Tests the vm_exec_hello kernel module (module/vm_exec_hello.c) in a VM running the host's kernel:
 * build it once against that kernel's headers, then load, inspect and unload it in one VM per file.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, test } from 'vm-exec/vitest';

const moduleDir = fileURLToPath(new URL('../module/', import.meta.url));
const ko = path.join(moduleDir, 'vm_exec_hello.ko');

/** Build the module for `release` (the kernel the VM runs, which may not be the host's `uname -r`). */
async function buildModule(release: string): Promise<void> {
	const headers = `/lib/modules/${release}/build`;
	await access(headers).catch(() => {
		throw new Error(`No kernel headers for ${release} in ${headers}: install them (Debian: apt-get install linux-headers-${release}).`);
	});
	await promisify(execFile)('make', ['-C', moduleDir, `KERNEL_RELEASE=${release}`]);
}

// The file VM boots once; the build needs its kernel release. The guest sees the host's file system
// (read-only), so the freshly built .ko is loadable in it at the same path.
test.beforeAll(async ({ fileVm }) => {
	await buildModule(fileVm.kernel.release);
});

// Leave the VM clean for the next test even when one fails half-way.
test.afterEach(async ({ fileVm }) => {
	await fileVm.exec('rmmod vm_exec_hello 2>/dev/null');
});

test('loading the module creates /proc/vm_exec_hello with the greeting', async ({ fileVm }) => {
	await fileVm.succeed(`insmod ${ko}`);
	expect(await fileVm.exec('cat /proc/vm_exec_hello')).toHaveStdout('hello, world');
	expect(await fileVm.exec('grep -w vm_exec_hello /proc/modules')).toSucceed();
});

test('the whom parameter shows in /proc, /sys/module and the kernel log', async ({ fileVm }) => {
	const loaded = await fileVm.succeed(`insmod ${ko} whom=vm-exec`);
	expect(await fileVm.exec('cat /proc/vm_exec_hello')).toHaveStdout('hello, vm-exec');
	expect(await fileVm.exec('cat /sys/module/vm_exec_hello/parameters/whom')).toHaveStdout('vm-exec');
	// The module's pr_info line, as a record of the kernel log logged during the insmod (or `dmesg` in the guest).
	expect(loaded).toHaveKernelLog(/vm_exec_hello: loaded, greeting vm-exec$/);
	expect(await fileVm.exec('dmesg')).toHaveStdout(/vm_exec_hello: loaded, greeting vm-exec$/m);
});

// A WARN (or an oops, a refcount underflow, …) during a test fails it by default, after its own assertions,
// with the kernel's report in the failure. This test triggers one on purpose, so it says it expects it.
test('an empty whom makes the module warn, and it greets the world', async ({ fileVm }) => {
	await fileVm.succeed(`insmod ${ko} whom=`);
	const warning = await fileVm.expectKernelReport(/empty whom/, { kind: 'WARNING' });
	expect(warning.module).toBe('vm_exec_hello');
	expect(await fileVm.exec('cat /proc/vm_exec_hello')).toHaveStdout('hello, world');
});

test('unloading the module removes its /proc entry and /sys/module directory', async ({ fileVm }) => {
	await fileVm.succeed(`insmod ${ko}`);
	await fileVm.succeed('rmmod vm_exec_hello');
	expect(await fileVm.exec('test -e /proc/vm_exec_hello')).toFail();
	expect(await fileVm.exec('test -e /sys/module/vm_exec_hello')).toFail();
	expect(await fileVm.exec('dmesg')).toHaveStdout(/vm_exec_hello: unloaded$/m);
});

test('loading it twice fails with "File exists"', async ({ fileVm }) => {
	await fileVm.succeed(`insmod ${ko}`);
	const second = await fileVm.exec(`insmod ${ko}`);
	expect(second).toFail();
	expect(second.stderr).toMatch(/File exists/);
});
