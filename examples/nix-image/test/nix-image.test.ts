/**
 * The NixOS vmExec module's own job, without root on the host: install a Nix store closure into a new disk
 * image. The host builds a small closure (no nixpkgs, no network: a static busybox added to the store is the
 * builder); a VM partitions, formats and mounts the image and runs `nix copy` into it, with the host's
 * /nix/store and database read-only underneath (writable only in the guest's throw-away overlay); the host
 * then reads the image with debugfs, and checks that its own store and database did not change.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startVm } from 'vm-exec';
import { afterAll, beforeAll, expect, test } from 'vm-exec/vitest';

const run = promisify(execFile);
const expression = fileURLToPath(new URL('../nix/hello.nix', import.meta.url));
const asRoot = process.getuid?.() === 0;

let dir: string;
let image: string;
/** The closure's top path (vm-exec-hello) and every path of it (with the busybox it runs). */
let closure: string;
let closurePaths: string[];
/** The host's Nix database and store listing before the VM ran. */
let hostBefore: string;

/** e2fsprogs live in /sbin on Debian, which is not on an ordinary user's PATH. */
function sbinTool(name: string): string {
	return ['/usr/sbin', '/sbin'].map((dir) => path.join(dir, name)).find((file) => existsSync(file)) ?? name;
}

/**
 * Root uses the local store directly (Debian's nix-bin: single-user, no build users, no sandbox). Any other
 * user builds through nix-daemon, as on NixOS: its store belongs to root.
 */
async function nix(tool: string, args: string[]): Promise<string> {
	const local = asRoot ? ['--option', 'sandbox', 'false', '--option', 'build-users-group', ''] : [];
	try {
		return (await run(tool, [...local, ...args])).stdout.trim();
	} catch (error) {
		const stderr = String((error as { stderr?: string }).stderr ?? error);
		if (!asRoot && /daemon-socket/.test(stderr))
			throw new Error(
				`${tool} cannot reach nix-daemon: as on NixOS, a user other than root builds through it. Start it (\`sudo systemctl enable --now nix-daemon.socket\`) and join its group (\`sudo adduser $USER nix-users\`, then log in again).\n${stderr}`,
			);
		throw error;
	}
}

/** What must not change on the host: the database files' contents and the store's entries. */
async function hostNixState(): Promise<string> {
	const hash = createHash('sha256');
	const db = '/nix/var/nix/db';
	for (const name of (await readdir(db)).filter((name) => name.startsWith('db.sqlite')).sort()) {
		hash.update(name).update(await readFile(path.join(db, name)));
	}
	hash.update((await readdir('/nix/store')).sort().join('\n'));
	return hash.digest('hex');
}

async function firstPartitionOffset(file: string): Promise<number> {
	const handle = await open(file, 'r');
	try {
		const mbr = Buffer.alloc(512);
		await handle.read(mbr, 0, 512, 0);
		return mbr.readUInt32LE(446 + 8) * 512;
	} finally {
		await handle.close();
	}
}

beforeAll(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'nix-image-'));
	image = path.join(dir, 'nix.img');
	// The builder: the host's static busybox, as <store path>/bin/busybox (busybox picks its applet by name).
	const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((file) => existsSync(file));
	if (!busybox) throw new Error('no busybox on this host: install busybox-static');
	await mkdir(path.join(dir, 'busybox-static/bin'), { recursive: true });
	await copyFile(busybox, path.join(dir, 'busybox-static/bin/busybox'));
	const builder = await nix('nix-store', ['--add', path.join(dir, 'busybox-static')]);
	closure = await nix('nix-build', ['--no-out-link', '--argstr', 'busybox', builder, expression]);
	closurePaths = (await nix('nix-store', ['--query', '--requisites', closure])).split('\n').sort();
	hostBefore = await hostNixState();
});

afterAll(async () => {
	if (dir) await rm(dir, { recursive: true, force: true });
});

test('the host built a closure of two store paths', () => {
	expect(closurePaths).toHaveLength(2);
	expect(closurePaths).toContain(closure);
});

test('the VM partitions, formats and mounts a new image and installs the closure with nix copy', async () => {
	await using vm = await startVm({ disks: [{ path: image, size: '256M', serial: 'nix' }] });
	const result = await vm.succeed(
		`
		set -eu
		echo 'start=2048, type=83' | sfdisk -q "$DISK"
		mkfs.ext4 -q -L nix "$DISK"1
		mount "$DISK"1 /mnt
		# The host's Nix lock files are root's (0600): a host user other than root cannot read them, so
		# neither can the guest; nix makes new ones (in the guest's overlay only, like everything it writes).
		rm -f /nix/var/nix/db/big-lock /nix/var/nix/gc.lock
		nix --extra-experimental-features nix-command copy --no-check-sigs --to /mnt "$CLOSURE"
		nix --extra-experimental-features nix-command path-info --store /mnt --recursive "$CLOSURE"
		umount /mnt
		sync
		`,
		{ env: { DISK: vm.disks[0]!.device, CLOSURE: closure } },
	);
	expect(result.stdout.trim().split('\n').sort()).toEqual(closurePaths);
});

test('the host reads the closure and its database from the image with debugfs, and e2fsck finds it clean', async () => {
	const partition = `${image}?offset=${await firstPartitionOffset(image)}`;
	const debugfs = async (command: string) => (await run(sbinTool('debugfs'), ['-R', command, partition])).stdout;
	expect(await debugfs(`cat ${closure}/bin/hello`)).toContain('echo hello from the nix store');
	const store = await debugfs('ls /nix/store');
	for (const storePath of closurePaths) expect(store).toContain(path.basename(storePath));
	expect(await debugfs('stat /nix/var/nix/db/db.sqlite')).toMatch(/Type: regular/);
	await expect(run(sbinTool('e2fsck'), ['-fn', partition])).resolves.toBeDefined();
});

test("the host's own Nix store and database are unchanged", async () => {
	expect(await hostNixState()).toBe(hostBefore);
	expect((await stat(closure)).isDirectory()).toBe(true);
});

test('a VM runs the installed program from the image, read-only', async ({ vmOptions }) => {
	await using vm = await startVm({ ...vmOptions, disks: [{ path: image, readOnly: true }] });
	expect(await vm.exec(`mount -o ro /dev/vda1 /mnt && chroot /mnt ${closure}/bin/hello`)).toHaveStdout('hello from the nix store');
});
