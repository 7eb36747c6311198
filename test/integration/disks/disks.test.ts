/**
 * The `disks` option against real QEMU: images in order as /dev/vda…, created when missing, writes that
 * reach the host, read-only disks, snapshots that see current content, QEMU's image lock, and bad input.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm, VmDiskError } from '../../../src/index.js';
import { assertCliBuilt, CLI_PATH } from '../../helpers/built-cli.js';

let dir: string;
beforeAll(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'vm-exec-disks-'));
	await chmod(dir, 0o755);
});
afterAll(async () => {
	if (dir) await rm(dir, { recursive: true, force: true });
});

describe('startVm({ disks })', () => {
	let vm: Vm;
	let seed: string;
	beforeAll(async () => {
		seed = path.join(dir, 'seed.img');
		await writeFile(seed, Buffer.concat([Buffer.from('seed content\n'), Buffer.alloc(1024 * 1024 - 13)]));
		vm = await startVm({
			disks: [
				{ path: path.join(dir, 'new.img'), size: '32M', serial: 'data' },
				{ path: path.join(dir, 'new.qcow2'), size: '1G' },
				{ path: seed, readOnly: true },
			],
		});
	});
	afterAll(async () => {
		await vm?.close();
	});

	it('creates missing images (sparse raw, qcow2) and lists what each became in vm.disks', async () => {
		expect(vm.disks.map(({ device, format, readOnly, created, byId }) => ({ device, format, readOnly, created, byId }))).toEqual([
			{ device: '/dev/vda', format: 'raw', readOnly: false, created: true, byId: '/dev/disk/by-id/virtio-data' },
			{ device: '/dev/vdb', format: 'qcow2', readOnly: false, created: true, byId: undefined },
			{ device: '/dev/vdc', format: 'raw', readOnly: true, created: false, byId: undefined },
		]);
		const raw = await stat(path.join(dir, 'new.img'));
		expect(raw.size).toBe(32 * 1024 * 1024);
		expect(raw.blocks * 512).toBeLessThan(1024 * 1024);
		expect((await readFile(path.join(dir, 'new.qcow2'))).subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
	});

	it('shows the disks in order with their sizes, and the serial under /dev/disk/by-id', async () => {
		const { stdout } = await vm.succeed('blockdev --getsize64 /dev/vda /dev/vdb /dev/vdc; readlink /dev/disk/by-id/virtio-data');
		expect(stdout).toBe(`${32 * 1024 * 1024}\n${1024 ** 3}\n${1024 * 1024}\n../../vda\n`);
	});

	it('writes reach the host file once the guest has synced', async () => {
		await vm.succeed('printf "written in the guest" | dd of=/dev/vda bs=512 seek=8 conv=notrunc 2>/dev/null && sync');
		const image = await readFile(path.join(dir, 'new.img'));
		expect(image.subarray(4096, 4096 + 20).toString()).toBe('written in the guest');
	});

	it('refuses writes to a read-only disk, and its host file never changes', async () => {
		const before = await readFile(seed);
		const { exitCode, stdout } = await vm.exec('head -c 12 /dev/vdc; echo; echo x | dd of=/dev/vdc conv=notrunc 2>/dev/null && sync');
		expect(stdout).toBe('seed content\n');
		expect(exitCode).not.toBe(0);
		expect((await readFile(seed)).equals(before)).toBe(true);
	});

	it('gives a second VM that wants the same writable image a clear error (QEMU image lock)', async () => {
		const error = await startVm({ disks: [path.join(dir, 'new.img')] }).catch((caught: unknown) => caught);
		expect(error).toBeInstanceOf(VmDiskError);
		expect((error as VmDiskError).message).toMatch(/^The disk image .*new\.img is in use by another VM/);
		expect((error as VmDiskError).path).toBe(path.join(dir, 'new.img'));
	});
});

describe('disks with snapshots', () => {
	it("starts from the configuration's snapshot and still sees each disk's current content and size", async () => {
		const files = [path.join(dir, 'snap-a.img'), path.join(dir, 'snap-b.img')];
		// The first VM of this disk set saves the snapshot (or finds it), the second starts from it.
		await writeFile(files[0]!, Buffer.alloc(2 * 1024 * 1024));
		const first = await startVm({ disks: [{ path: files[0]!, serial: 'snap' }] });
		await first.close();
		await writeFile(files[1]!, Buffer.concat([Buffer.from('fresh\n'), Buffer.alloc(4 * 1024 * 1024 - 6)]));
		const second = await startVm({ disks: [{ path: files[1]!, serial: 'snap' }] });
		try {
			expect(second.bootedFrom).toBe('snapshot');
			const { stdout } = await second.succeed('head -c 6 /dev/vda; blockdev --getsize64 /dev/vda');
			expect(stdout).toBe(`fresh\n${4 * 1024 * 1024}\n`);
		} finally {
			await second.close();
		}
	});

	it('flushes unsynced writes to the host file when the VM closes', async () => {
		const file = path.join(dir, 'close.img');
		const vm = await startVm({ disks: [{ path: file, size: '8M' }] });
		try {
			await vm.succeed('printf "kept at close" | dd of=/dev/vda conv=notrunc 2>/dev/null');
		} finally {
			await vm.close();
		}
		expect((await readFile(file)).subarray(0, 13).toString()).toBe('kept at close');
	});
});

describe('bad disks fail before QEMU starts', () => {
	it('refuses a directory', async () => {
		await mkdir(path.join(dir, 'a-dir'));
		await expect(startVm({ disks: [path.join(dir, 'a-dir')] })).rejects.toThrow(/^The disk image .*a-dir \(disks\[0\]\) is a directory\./);
	});

	it('refuses a missing file without a size, and a read-only missing file', async () => {
		await expect(startVm({ disks: [path.join(dir, 'missing.img')] })).rejects.toThrow(/does not exist\. Give a `size`/);
		await expect(startVm({ disks: [{ path: path.join(dir, 'missing.img'), size: '1M', readOnly: true }] })).rejects.toThrow(
			/^The read-only disk image .*missing\.img \(disks\[0\]\) does not exist/,
		);
	});

	it('refuses an unknown format, a size that is not a size, and the same writable image twice', async () => {
		await expect(startVm({ disks: [{ path: 'x.vmdk', format: 'vmdk' as 'raw' }] })).rejects.toThrow(TypeError);
		await expect(startVm({ disks: [{ path: 'x.img', size: 'huge' }] })).rejects.toThrow(/`disks\[0\]\.size` option to be a size/);
		await expect(startVm({ disks: ['same.img', 'same.img'] })).rejects.toThrow(/name each writable image once/);
	});

	it('refuses an image the user cannot read (run as an unprivileged user when the tests run as root)', async () => {
		const file = path.join(dir, 'secret.img');
		await writeFile(file, Buffer.alloc(1024 * 1024));
		await chmod(file, 0o600);
		if (process.getuid?.() === 0) {
			assertCliBuilt();
			// Root reads every file: ask as nobody, through the CLI (the error comes before QEMU, from the same check).
			const result = await execa(
				'setpriv',
				['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, CLI_PATH, `--disk=${file}`, 'true'],
				{
					reject: false,
					env: { HOME: dir, XDG_CACHE_HOME: path.join(dir, 'nobody-cache') },
				},
			);
			expect(result.exitCode).not.toBe(0);
			expect(result.stderr).toMatch(/The disk image .*secret\.img \(disks\[0\]\) is not readable and writable by this user/);
		} else {
			await chmod(file, 0o200);
			await expect(startVm({ disks: [file] })).rejects.toThrow(/is not readable and writable by this user/);
			await expect(startVm({ disks: [{ path: file, readOnly: true }] })).rejects.toThrow(/is not readable by this user/);
		}
	});
});
