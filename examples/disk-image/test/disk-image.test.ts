/**
 * Build a disk image without root on the host, as the NixOS vmExec module was made for: the VM gets the
 * image as a disk, partitions it, makes an ext4 file system, mounts it and installs files into it; then the
 * host reads the image back with e2fsprogs (debugfs, e2fsck), which work on plain files, no root needed.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startVm } from 'vm-exec';
import { afterAll, beforeAll, expect, test } from 'vm-exec/vitest';

const run = promisify(execFile);
/** The tree to install into the image: this example's `content/` directory. */
const content = fileURLToPath(new URL('../content', import.meta.url));

let dir: string;
let image: string;
beforeAll(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'disk-image-'));
	image = path.join(dir, 'disk.img');
});
afterAll(async () => {
	if (dir) await rm(dir, { recursive: true, force: true });
});

/** e2fsprogs live in /sbin on Debian, which is not on an ordinary user's PATH. */
function e2fsTool(name: string): string {
	return ['/usr/sbin', '/sbin'].map((dir) => path.join(dir, name)).find((file) => existsSync(file)) ?? name;
}

/** The byte offset of the image's first partition, from its MBR (partition 1's start sector). */
async function firstPartitionOffset(file: string): Promise<number> {
	const handle = await open(file, 'r');
	try {
		const mbr = Buffer.alloc(512);
		await handle.read(mbr, 0, 512, 0);
		expect(mbr.readUInt16LE(510)).toBe(0xaa55);
		return mbr.readUInt32LE(446 + 8) * 512;
	} finally {
		await handle.close();
	}
}

test('the VM partitions, formats and fills a new image', async () => {
	// A missing file with a size is created (sparse). The serial gives the disk a stable name in the guest.
	await using vm = await startVm({ disks: [{ path: image, size: '64M', serial: 'image' }] });
	const disk = vm.disks[0]!.device; // /dev/vda
	await vm.succeed(
		`
		set -eu
		# One Linux partition over the whole disk, with the host's sfdisk or else busybox's fdisk.
		if command -v sfdisk >/dev/null; then
			echo 'start=2048, type=83' | sfdisk -q "$DISK"
		else
			printf 'n\\np\\n1\\n2048\\n\\nw\\n' | busybox fdisk "$DISK" >/dev/null
		fi
		mkfs.ext4 -q -L content "$DISK"1
		mount "$DISK"1 /mnt
		cp -a "$CONTENT"/. /mnt/
		umount /mnt
		sync
		`,
		{ env: { DISK: disk, CONTENT: content } },
	);
	expect(await vm.exec('readlink /dev/disk/by-id/virtio-image')).toHaveStdout('../../vda');
});

test('the host reads the files back from the image with debugfs, and e2fsck finds it clean', async () => {
	const partition = `${image}?offset=${await firstPartitionOffset(image)}`;
	const { stdout: motd } = await run(e2fsTool('debugfs'), ['-R', 'cat /etc/motd', partition]);
	expect(motd).toBe('Built in a vm-exec VM, without root on the host.\n');
	const { stdout: script } = await run(e2fsTool('debugfs'), ['-R', 'cat /usr/share/hello/hello.sh', partition]);
	expect(script).toContain('hello from the image');
	// -f: check even though the file system is clean; -n: open it read-only, answer no. Exit 0: no errors.
	await expect(run(e2fsTool('e2fsck'), ['-fn', partition])).resolves.toMatchObject({ stdout: expect.stringMatching(/clean|files/) });
});

test('a VM sees the finished image, read-only, with its files in place', async ({ vmOptions }) => {
	await using vm = await startVm({ ...vmOptions, disks: [{ path: image, readOnly: true }] });
	expect(await vm.exec('mount -o ro /dev/vda1 /mnt && /mnt/usr/share/hello/hello.sh')).toHaveStdout('hello from the image');
});
