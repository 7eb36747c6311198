/**
 * An aarch64 guest (qemu-system-aarch64 -M virt) over an arm64 busybox root, with Debian's arm64 kernel,
 * as `scripts/install-host-deps.sh --arch aarch64` unpacks them.
 */
import { once } from 'node:events';
import { open } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dir as tempDir, type DirectoryResult } from 'tmp-promise';
import { startVm, type Vm } from '../../../src/index.js';
import { AARCH64_ROOT, requireUnpacked } from '../../helpers/arch-dirs.js';

const root = requireUnpacked(AARCH64_ROOT, 'sh scripts/install-host-deps.sh --arch aarch64');

describe('an aarch64 VM over an arm64 root', () => {
	let cache: DirectoryResult;
	let vm: Vm;
	const diskOf = (name: string) => ({ path: path.join(cache.path, `${name}.img`), size: '8M', serial: 'armdisk' });

	beforeAll(async () => {
		cache = await tempDir({ prefix: 'vm-exec-aarch64-cache-', unsafeCleanup: true });
		// With a disk: the arm64 guest's disk test shares this VM (an arm64 boot under emulation is slow).
		vm = await startVm({ arch: 'aarch64', root, cacheDir: cache.path, snapshot: 'auto', bootTimeout: 100_000, disks: [diskOf('first')] });
	}, 115_000);

	afterAll(async () => {
		await vm?.close();
		await cache?.cleanup();
	});

	it('runs on an aarch64 kernel', async () => {
		const result = await vm.exec('uname -m; uname -r');
		expect(result.stdout).toMatch(/^aarch64\n\d+\.\d+\.\d+-\d+-arm64\n$/);
		expect(vm.qemuArgv[0]).toMatch(/qemu-system-aarch64$/);
		expect(vm.qemuArgv).toContain('virt,memory-backend=ram');
	});

	it("delivers the kernel's log and its taint: a record a command makes the kernel log, and a new W taint that counts as a failure", async () => {
		// The kernel logs `sh (PID): drop_caches: 3` (a kernel record, at info level) for a write to drop_caches; a
		// write to /proc/sys/kernel/tainted sets the bits written (512: W, "kernel issued warning").
		const result = await vm.exec('echo 3 >/proc/sys/vm/drop_caches; echo 512 >/proc/sys/kernel/tainted');
		expect(result.exitCode).toBe(0);
		expect(result.kernelLog!.map((record) => record.text).some((text) => /drop_caches: 3$/.test(text))).toBe(true);
		// Its taint marker comes a moment after the result: sync() waits for it.
		await vm.kernelLog.sync();
		expect(vm.kernelLog.taint! & 512).toBe(512);
		expect(vm.kernelLog.taint! & 512 & ~(result.taint!.before ?? 0)).toBe(512);
		expect(vm.kernelLog.records.some((record) => record.text.startsWith('Booting Linux') || record.text.startsWith('Linux version'))).toBe(
			true,
		);
	});

	it('returns stdout, stderr and exit codes byte for byte', async () => {
		const result = await vm.exec("printf 'a\\0b\\n\\377'; printf 'err\\r\\n' >&2; exit 42", { encoding: 'buffer' });
		expect(result.stdout).toEqual(Buffer.from([0x61, 0, 0x62, 0x0a, 0xff]));
		expect(result.stderr).toEqual(Buffer.from('err\r\n'));
		expect(result.exitCode).toBe(42);
		await expect(vm.succeed('exit 3')).rejects.toMatchObject({ exitCode: 3 });
	});

	it("runs scripts with the root's own shell and sees the root's files", async () => {
		const result = await vm.succeed('readlink /bin/sh; ls /boot | grep -c arm64; test ! -e /etc/debian_version && echo no-host-files');
		expect(result.stdout).toBe('/bin/busybox\n3\nno-host-files\n');
	});

	it("has what a Linux system has, in its real root: the kernel's file systems, /dev/fd, user namespaces", async () => {
		const result = await vm.succeed(
			"for p in /sys/kernel/debug /sys/kernel/tracing /sys/kernel/config /sys/kernel/security /sys/fs/bpf /dev/mqueue /root; do awk -v p=$p '$2 == p { print $3 }' /proc/mounts; done; readlink /dev/fd; unshare -Ur id -u",
		);
		expect(result.stdout).toBe('debugfs\ntracefs\nconfigfs\nsecurityfs\nbpf\nmqueue\ntmpfs\n/proc/self/fd\n0\n');
	});

	it('kills a command at its timeout', async () => {
		const result = await vm.exec('echo started; sleep 30', { timeout: 1000 });
		expect(result).toMatchObject({ stdout: 'started\n', timedOut: true });
		expect((await vm.succeed('echo still here')).stdout).toBe('still here\n');
	});

	it('loads an arm64 kernel module', async () => {
		const result = await vm.succeed(
			'modprobe dummy && grep -o "^dummy " /proc/modules && ip link add d0 type dummy && ip link show d0 | head -1',
		);
		expect(result.stdout).toMatch(/^dummy \n\d+: d0: /);
	});

	it('reaches a server on the host over the NAT network card', async () => {
		const server = http.createServer((_request, response) => response.end('hello from the host\n')).listen(0, '127.0.0.1');
		try {
			await once(server, 'listening');
			const { port } = server.address() as AddressInfo;
			await using networked = await startVm({ arch: 'aarch64', root, cacheDir: cache.path, network: true, bootTimeout: 100_000 });
			const result = await networked.succeed(`wget -q -O - http://10.0.2.2:${port}/`);
			expect(result.stdout).toBe('hello from the host\n');
		} finally {
			server.close();
		}
	}, 110_000);

	it('starts a second VM from the snapshot the first one saved', async () => {
		// The same devices as the first VM (a disk of its own: the image's path is not in the snapshot's key).
		await using second = await startVm({
			arch: 'aarch64',
			root,
			cacheDir: cache.path,
			snapshot: 'auto',
			bootTimeout: 100_000,
			disks: [diskOf('second')],
		});
		expect(second.bootedFrom).toBe('snapshot');
		expect((await second.succeed('uname -m')).stdout).toBe('aarch64\n');
	}, 110_000);

	it('writes a disk in the arm64 guest (virtio-mmio) that the host then reads', async () => {
		expect(vm.disks).toMatchObject([{ device: '/dev/vda', byId: '/dev/disk/by-id/virtio-armdisk' }]);
		expect(vm.qemuArgv.join(' ')).toMatch(/virtio-blk-device,drive=vmx-disk0,serial=armdisk/);
		const { stdout } = await vm.succeed(
			"readlink /dev/disk/by-id/virtio-armdisk; printf 'written by arm64' | dd of=/dev/vda conv=notrunc 2>/dev/null && sync",
		);
		expect(stdout).toBe('../../vda\n');
		const file = await open(vm.disks[0]!.path);
		try {
			const { buffer, bytesRead } = await file.read(Buffer.alloc(16), 0, 16, 0);
			expect(buffer.toString('utf8', 0, bytesRead)).toBe('written by arm64');
		} finally {
			await file.close();
		}
	});
});
