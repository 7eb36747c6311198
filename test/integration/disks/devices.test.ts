/**
 * Coldplug and hotplug: devices given with qemuArgs get their drivers before the first exec, as udev would
 * load them, and a device hot-added later over QMP gets its driver too.
 */
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';
import { QmpClient } from '../../../src/qemu/qmp-client.js';

/** One QMP command on a fresh connection to a QMP socket the test gave QEMU. */
async function qmpCommand(socketPath: string, command: string, args: Record<string, unknown>): Promise<unknown> {
	const socket = net.createConnection(socketPath);
	const qmp = await QmpClient.connect(socket);
	try {
		return await qmp.execute(command, args);
	} finally {
		qmp.close();
		socket.destroy();
	}
}

describe('devices given with qemuArgs (coldplug)', () => {
	let vm: Vm;
	let dir: string;
	let qmpSocket: string;
	beforeAll(async () => {
		dir = await mkdtemp(path.join(os.tmpdir(), 'vm-exec-devices-'));
		for (const name of ['virtio.img', 'nvme.img']) {
			const file = path.join(dir, name);
			await writeFile(file, '');
			await truncate(file, 16 * 1024 * 1024);
		}
		qmpSocket = path.join(dir, 'qmp.sock');
		// No snapshot: these temporary paths are part of its key, so it would serve no later VM.
		vm = await startVm({
			snapshot: false,
			qemuArgs: [
				'-drive',
				`file=${path.join(dir, 'virtio.img')},if=virtio,format=raw`,
				'-drive',
				`file=${path.join(dir, 'nvme.img')},if=none,id=nv,format=raw`,
				'-device',
				'nvme,drive=nv,serial=nvme1',
				'-device',
				'virtio-rng-pci',
				'-device',
				'e1000,netdev=n0',
				'-netdev',
				'user,id=n0',
				'-qmp',
				`unix:${qmpSocket},server=on,wait=off`,
			],
		});
	});
	afterAll(async () => {
		await vm?.close();
		if (dir) await rm(dir, { recursive: true, force: true });
	});

	it('gives -drive if=virtio its /dev/vda with no modprobe in the script', async () => {
		const { stdout } = await vm.succeed('test -b /dev/vda && cat /sys/block/vda/size');
		expect(stdout.trim()).toBe(String((16 * 1024 * 1024) / 512));
	});

	it('gives an NVMe disk /dev/nvme0n1, a virtio RNG /dev/hwrng and an e1000 card a network interface', async () => {
		const { stdout } = await vm.succeed(
			'test -b /dev/nvme0n1 && echo nvme; test -c /dev/hwrng && echo rng; for i in /sys/class/net/*; do readlink $i/device/driver; done; true',
		);
		expect(stdout).toContain('nvme\nrng');
		expect(stdout).toMatch(/\/e1000$/m);
	});

	it('links an NVMe disk with a serial under /dev/disk/by-id as udev names it (nvme-<model>_<serial>)', async () => {
		const { stdout } = await vm.succeed('readlink /dev/disk/by-id/nvme-QEMU_NVMe_Ctrl_nvme1; ls /dev/disk/by-id');
		expect(stdout.split('\n')[0]).toBe('../../nvme0n1');
		// The namespace's world-wide id too (QEMU's is nvme.<vendor>-<serial>-<model>-<nsid> in hex).
		expect(stdout).toMatch(/^nvme-nvme\.1b36-/m);
	});

	it('loads the driver of a device hot-added over QMP (device_add) by itself', async () => {
		await expect(vm.exec('test -d /sys/bus/virtio/drivers/virtio_blk/virtio*')).resolves.toMatchObject({ exitCode: 0 });
		await writeFile(path.join(dir, 'hot.img'), '');
		await truncate(path.join(dir, 'hot.img'), 8 * 1024 * 1024);
		await qmpCommand(qmpSocket, 'blockdev-add', {
			'node-name': 'hot',
			driver: 'raw',
			file: { driver: 'file', filename: path.join(dir, 'hot.img') },
		});
		expect(await qmpCommand(qmpSocket, 'device_add', { driver: 'virtio-blk-pci', id: 'hotdisk', drive: 'hot', serial: 'hot1' })).toEqual(
			{},
		);
		// The guest hears of the card through ACPI (a VM with a monitor of the user's has it) and loads its
		// driver, and makes its link, asynchronously, as udev would: the script neither rescans nor modprobes.
		await vm.waitForFile('/dev/disk/by-id/virtio-hot1', { timeout: 30_000 });
		const { stdout } = await vm.succeed('readlink /dev/disk/by-id/virtio-hot1; cat /sys/block/vdb/size');
		expect(stdout).toBe(`../../vdb\n${(8 * 1024 * 1024) / 512}\n`);
		// And device_del completes: the guest ejects the card (ACPI again), and its link goes with it.
		expect(await qmpCommand(qmpSocket, 'device_del', { id: 'hotdisk' })).toEqual({});
		await vm.waitUntilFails('test -e /sys/block/vdb || test -L /dev/disk/by-id/virtio-hot1', { timeout: 30_000 });
	});
});
