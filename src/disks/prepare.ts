/**
 * The file system side of the `disks` option, before QEMU starts: each image must be a readable (and, unless
 * read-only, writable) regular file; a missing one with a `size` is created (sparse raw, or qcow2 with
 * `qemu-img`). Created files are the user's: they stay after the VM closes.
 */
import { constants } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { execa } from 'execa';
import { VmDiskError } from '../errors.js';
import type { NormalizedDisk } from './options.js';

/** What each disk became, as `vm.disks` shows it. */
export interface VmDisk {
	/** Absolute host path of the image. */
	path: string;
	format: 'raw' | 'qcow2';
	readOnly: boolean;
	serial: string | undefined;
	/** The guest's device, e.g. `/dev/vda`. */
	device: string;
	/** `/dev/disk/by-id/virtio-<serial>` for a disk with a serial. */
	byId: string | undefined;
	/** Whether vm-exec created the file for this VM (it stays after the VM closes). */
	created: boolean;
}

async function createImage(disk: NormalizedDisk & { size: number }): Promise<void> {
	if (disk.format === 'qcow2') {
		await execa('qemu-img', ['create', '-q', '-f', 'qcow2', disk.path, String(disk.size)]).catch((error: unknown) => {
			const missing = (error as { code?: string }).code === 'ENOENT';
			throw new VmDiskError(
				missing
					? `Cannot create the qcow2 image ${disk.path}: qemu-img is not installed (Debian/Ubuntu: apt-get install qemu-utils), or create it yourself.`
					: `Cannot create the qcow2 image ${disk.path}: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`,
				{ path: disk.path, cause: error },
			);
		});
		return;
	}
	// 'wx': never truncate a file that appeared meanwhile. A sparse file: no block is written.
	const handle = await open(disk.path, 'wx', 0o644).catch((error: unknown) => {
		throw new VmDiskError(
			`Cannot create the disk image ${disk.path}: ${(error as Error).message}. Check that its directory exists and is writable.`,
			{
				path: disk.path,
				cause: error,
			},
		);
	});
	try {
		await handle.truncate(disk.size);
	} finally {
		await handle.close();
	}
}

async function prepareDisk(disk: NormalizedDisk, index: number, guestName: string): Promise<VmDisk> {
	const where = `disks[${index}]`;
	const info = await stat(disk.path).catch((error: unknown) => {
		if ((error as { code?: string }).code === 'ENOENT') return undefined;
		throw new VmDiskError(`Cannot use the disk image ${disk.path} (${where}): ${(error as Error).message}.`, {
			path: disk.path,
			cause: error,
		});
	});
	let created = false;
	if (!info) {
		if (disk.readOnly) {
			throw new VmDiskError(
				`The read-only disk image ${disk.path} (${where}) does not exist. A read-only disk must be an existing file: check the path, or drop \`readOnly\` and give a \`size\` to create it.`,
				{ path: disk.path },
			);
		}
		if (disk.size === undefined) {
			throw new VmDiskError(
				`The disk image ${disk.path} (${where}) does not exist. Give a \`size\` (e.g. { path, size: '64M' }, or --disk=PATH:64M) to create it, or check the path.`,
				{ path: disk.path },
			);
		}
		await createImage({ ...disk, size: disk.size });
		created = true;
	} else if (!info.isFile()) {
		throw new VmDiskError(
			`The disk image ${disk.path} (${where}) is ${info.isDirectory() ? 'a directory' : 'not a regular file'}. Give the path of an image file (a missing one is created when a \`size\` is given).`,
			{ path: disk.path },
		);
	} else {
		const mode = disk.readOnly ? constants.R_OK : constants.R_OK | constants.W_OK;
		await access(disk.path, mode).catch((error: unknown) => {
			throw new VmDiskError(
				`The disk image ${disk.path} (${where}) is not ${disk.readOnly ? 'readable' : 'readable and writable'} by this user. Fix its permissions${disk.readOnly ? '' : ', or pass it with `readOnly: true`'}.`,
				{ path: disk.path, cause: error },
			);
		});
	}
	return {
		path: disk.path,
		format: disk.format,
		readOnly: disk.readOnly,
		serial: disk.serial,
		device: `/dev/${guestName}`,
		byId: disk.serial ? `/dev/disk/by-id/virtio-${disk.serial}` : undefined,
		created,
	};
}

/** Check (and create) every disk, in order; fails on the first bad one, before QEMU starts. */
export async function prepareDisks(disks: readonly NormalizedDisk[], guestName: (index: number) => string): Promise<VmDisk[]> {
	const prepared: VmDisk[] = [];
	for (const [index, disk] of disks.entries()) prepared.push(await prepareDisk(disk, index, guestName(index)));
	return prepared;
}

/**
 * QEMU's image lock (a second writer, or a reader of an image someone writes) as a clear error, when that is
 * why QEMU failed; undefined otherwise.
 */
export function diskLockError(
	qemuMessage: string,
	disks: readonly VmDisk[],
	cause?: { qemuArgv?: readonly string[] | undefined },
): VmDiskError | undefined {
	if (!/Failed to get "?\w+"? lock/.test(qemuMessage)) return undefined;
	const disk = disks.find(
		(candidate) => qemuMessage.includes(candidate.path) || qemuMessage.includes(candidate.path.replaceAll(',', ',,')),
	);
	const file = disk?.path ?? 'a disk image';
	return new VmDiskError(
		`The disk image ${file} is in use by another VM or program (QEMU's image lock refused it). Close the other VM first, or pass the image with \`readOnly: true\` if no one writes to it.\nQEMU said: ${qemuMessage.trim().split('\n').slice(0, 2).join(' ')}`,
		{ path: file, cause, qemuStderr: qemuMessage, ...(cause?.qemuArgv ? { qemuArgv: cause.qemuArgv } : {}) },
	);
}
