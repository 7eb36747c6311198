/**
 * The `disks` option, validated and defaulted as pure logic (the file system checks come later, in
 * prepare.ts, still before QEMU starts).
 */
import path from 'node:path';

/** One disk image for the guest, as given to `startVm({ disks })`. */
export interface DiskOptions {
	/** The image file on the host. A relative path is resolved against the host's current directory. */
	path: string;
	/**
	 * Create the file with this size when it does not exist (`'64M'`, `'2G'`, or a number of bytes). An existing
	 * file is used as it is. Without it, a missing file is an error.
	 */
	size?: number | string;
	/** `'raw'` or `'qcow2'` (created with `qemu-img`). @default `'qcow2'` for a `.qcow2` file, else `'raw'` */
	format?: DiskFormat;
	/** The guest cannot write to the disk, and the host file never changes. @default false */
	readOnly?: boolean;
	/** The disk's serial number (up to 20 of `A-Z a-z 0-9 . _ -`): the guest links it as `/dev/disk/by-id/virtio-<serial>`. */
	serial?: string;
}

export type DiskFormat = 'raw' | 'qcow2';

export interface NormalizedDisk {
	/** Absolute host path. */
	path: string;
	/** Size in bytes for creating a missing file. */
	size: number | undefined;
	format: DiskFormat;
	readOnly: boolean;
	serial: string | undefined;
}

const DISK_KEYS = new Set(['path', 'size', 'format', 'readOnly', 'serial']);
const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

function invalid(name: string, expected: string, value: unknown): TypeError {
	const shown =
		typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' && value !== null ? 'an object' : String(value);
	return new TypeError(`Expected the \`${name}\` option to be ${expected}, got \`${shown}\`.`);
}

/** `'64M'`, `'2G'`, `'1.5G'`, `'512K'`, `'1048576'` or a number of bytes → bytes (a positive multiple of 512). */
export function parseDiskSize(value: unknown, name = 'size'): number {
	const expected = "a size like `'64M'`, `'2G'` or a number of bytes (a positive multiple of 512)";
	let bytes: number | undefined;
	if (typeof value === 'number') bytes = value;
	else if (typeof value === 'string') {
		const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(value);
		if (match) bytes = Math.round(Number(match[1]) * UNITS[match[2]!.toUpperCase()]!);
	}
	// Block devices have 512-byte sectors: QEMU would round a raw file's odd tail away.
	if (bytes === undefined || !Number.isSafeInteger(bytes) || bytes <= 0 || bytes % 512 !== 0) throw invalid(name, expected, value);
	return bytes;
}

function normalizeDisk(entry: unknown, index: number): NormalizedDisk {
	const name = `disks[${index}]`;
	const disk = typeof entry === 'string' ? { path: entry } : entry;
	if (typeof disk !== 'object' || disk === null || Array.isArray(disk)) {
		throw invalid(name, 'a path or `{ path, size?, format?, readOnly?, serial? }`', entry);
	}
	const unknown = Object.keys(disk).find((key) => !DISK_KEYS.has(key));
	if (unknown !== undefined) throw new TypeError(`Unknown \`${name}\` option \`${unknown}\`. Known options: ${[...DISK_KEYS].join(', ')}.`);
	const { path: file, size, format, readOnly, serial } = disk as Record<string, unknown>;
	if (typeof file !== 'string' || file === '' || file.includes('\0')) throw invalid(`${name}.path`, 'a non-empty file path', file);
	if (format !== undefined && format !== 'raw' && format !== 'qcow2') throw invalid(`${name}.format`, "`'raw'` or `'qcow2'`", format);
	if (readOnly !== undefined && typeof readOnly !== 'boolean') throw invalid(`${name}.readOnly`, 'a boolean', readOnly);
	if (serial !== undefined && (typeof serial !== 'string' || !/^[A-Za-z0-9._-]{1,20}$/.test(serial))) {
		throw invalid(`${name}.serial`, 'up to 20 characters of A-Z a-z 0-9 . _ -', serial);
	}
	const absolute = path.resolve(file);
	return {
		path: absolute,
		size: size === undefined ? undefined : parseDiskSize(size, `${name}.size`),
		format: format ?? (absolute.endsWith('.qcow2') ? 'qcow2' : 'raw'),
		readOnly: readOnly ?? false,
		serial,
	};
}

/** Validate the `disks` option. The same file twice is refused unless every use of it is read-only. */
export function normalizeDisks(value: unknown): NormalizedDisk[] {
	if (value === undefined) return [];
	if (!Array.isArray(value)) throw invalid('disks', 'an array of disk paths or `{ path, size?, format?, readOnly?, serial? }`', value);
	const disks = value.map((entry, index) => normalizeDisk(entry, index));
	disks.forEach((disk, index) => {
		const twin = disks.findIndex((other, otherIndex) => otherIndex !== index && other.path === disk.path);
		if (twin !== -1 && !(disk.readOnly && disks[twin]!.readOnly)) {
			throw new TypeError(
				`Expected the \`disks\` option to name each writable image once, got ${disk.path} as disks[${Math.min(index, twin)}] and disks[${Math.max(index, twin)}]. Two writers would corrupt it: pass it once, or make every use \`readOnly\`.`,
			);
		}
	});
	return disks;
}

/** The guest's device name of the disk at `index`: vda, vdb, … vdz, vdaa, … (as the kernel names them). */
export function guestDiskName(index: number): string {
	const letters = (n: number): string =>
		n < 26 ? String.fromCharCode(97 + n) : letters(Math.floor(n / 26) - 1) + String.fromCharCode(97 + (n % 26));
	return `vd${letters(index)}`;
}
