/**
 * A cpio "newc" archive writer: the format the Linux kernel unpacks as an initramfs.
 * Pure: entries in, bytes out (no timestamps, uid/gid 0, so equal inputs give equal archives).
 */

export type CpioEntry =
	| { type: 'file'; path: string; data: Uint8Array; mode?: number }
	| { type: 'dir'; path: string; mode?: number }
	| { type: 'symlink'; path: string; target: string }
	/** A named pipe: one in the archive costs the guest no `mkfifo` process at boot. */
	| { type: 'fifo'; path: string; mode?: number }
	| { type: 'chardev' | 'blockdev'; path: string; major: number; minor: number; mode?: number };

const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

function hex8(value: number): string {
	return value.toString(16).padStart(8, '0');
}

function padTo4(length: number): number {
	return (4 - (length % 4)) % 4;
}

function header(fields: {
	ino: number;
	mode: number;
	nlink: number;
	fileSize: number;
	nameSize: number;
	rdevMajor?: number;
	rdevMinor?: number;
}): string {
	return (
		'070701' +
		hex8(fields.ino) +
		hex8(fields.mode) +
		hex8(0) + // uid
		hex8(0) + // gid
		hex8(fields.nlink) +
		hex8(0) + // mtime: fixed, so archives are reproducible
		hex8(fields.fileSize) +
		hex8(0) +
		hex8(0) + // dev major/minor
		hex8(fields.rdevMajor ?? 0) +
		hex8(fields.rdevMinor ?? 0) +
		hex8(fields.nameSize) +
		hex8(0) // check
	);
}

/** Build a newc archive (with its `TRAILER!!!`) from entries; paths are relative (`bin/sh`, not `/bin/sh`). */
export function packCpio(entries: readonly CpioEntry[]): Buffer {
	const chunks: Buffer[] = [];
	let offset = 0;
	const push = (chunk: Buffer) => {
		chunks.push(chunk);
		offset += chunk.length;
	};
	const pushRecord = (ino: number, mode: number, nlink: number, name: string, data: Uint8Array, rdev = [0, 0]) => {
		const nameBytes = Buffer.from(`${name}\0`);
		const fields = { ino, mode, nlink, fileSize: data.length, nameSize: nameBytes.length, rdevMajor: rdev[0], rdevMinor: rdev[1] };
		push(Buffer.from(header(fields), 'ascii'));
		push(nameBytes);
		push(Buffer.alloc(padTo4(offset)));
		push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
		push(Buffer.alloc(padTo4(offset)));
	};
	let ino = 1;
	for (const entry of entries) {
		const name = entry.path.replace(/^\/+/, '');
		if (name === '' || name.split('/').includes('..')) throw new Error(`Invalid cpio entry path: ${entry.path}`);
		if (entry.type === 'file') pushRecord(ino++, S_IFREG | (entry.mode ?? 0o644), 1, name, entry.data);
		else if (entry.type === 'dir') pushRecord(ino++, S_IFDIR | (entry.mode ?? 0o755), 2, name, new Uint8Array());
		else if (entry.type === 'symlink') pushRecord(ino++, S_IFLNK | 0o777, 1, name, Buffer.from(entry.target));
		else if (entry.type === 'fifo') pushRecord(ino++, S_IFIFO | (entry.mode ?? 0o600), 1, name, new Uint8Array());
		else
			pushRecord(ino++, (entry.type === 'blockdev' ? S_IFBLK : S_IFCHR) | (entry.mode ?? 0o600), 1, name, new Uint8Array(), [
				entry.major,
				entry.minor,
			]);
	}
	pushRecord(0, 0, 1, 'TRAILER!!!', new Uint8Array());
	return Buffer.concat(chunks);
}
