import { describe, expect, it } from 'vitest';
import { packCpio } from '../../../src/boot/cpio.js';

/** A small reader for the newc format, to check what the writer produced. */
function readCpio(archive: Buffer) {
	const entries: { name: string; mode: number; data: Buffer; rdev: [number, number] }[] = [];
	let offset = 0;
	const field = (index: number) => Number.parseInt(archive.toString('ascii', offset + 6 + index * 8, offset + 14 + index * 8), 16);
	while (offset < archive.length) {
		expect(archive.toString('ascii', offset, offset + 6)).toBe('070701');
		const mode = field(1);
		const fileSize = field(6);
		const rdev: [number, number] = [field(9), field(10)];
		const nameSize = field(11);
		const name = archive.toString('utf8', offset + 110, offset + 110 + nameSize - 1);
		let cursor = offset + 110 + nameSize;
		cursor += (4 - (cursor % 4)) % 4;
		const data = archive.subarray(cursor, cursor + fileSize);
		cursor += fileSize;
		cursor += (4 - (cursor % 4)) % 4;
		entries.push({ name, mode, data, rdev });
		offset = cursor;
		if (name === 'TRAILER!!!') break;
	}
	return entries;
}

describe('packCpio', () => {
	it('writes files, directories, symlinks and device nodes in newc format with a trailer', () => {
		const archive = packCpio([
			{ type: 'dir', path: 'bin' },
			{ type: 'file', path: 'bin/busybox', data: Buffer.from('ELF…'), mode: 0o755 },
			{ type: 'symlink', path: 'bin/sh', target: 'busybox' },
			{ type: 'chardev', path: 'dev/console', major: 5, minor: 1 },
		]);
		const entries = readCpio(archive);
		expect(entries.map((entry) => entry.name)).toEqual(['bin', 'bin/busybox', 'bin/sh', 'dev/console', 'TRAILER!!!']);
		expect(entries[0]!.mode).toBe(0o040755);
		expect(entries[1]!.mode).toBe(0o100755);
		expect(entries[1]!.data.toString()).toBe('ELF…');
		expect(entries[2]!.mode).toBe(0o120777);
		expect(entries[2]!.data.toString()).toBe('busybox');
		expect(entries[3]!.mode).toBe(0o020600);
		expect(entries[3]!.rdev).toEqual([5, 1]);
	});

	it('writes named pipes, so the guest needs no mkfifo at boot', () => {
		const entries = readCpio(packCpio([{ type: 'fifo', path: 'pipes/runs' }]));
		expect(entries[0]).toMatchObject({ name: 'pipes/runs', mode: 0o010600 });
		expect(entries[0]!.data.length).toBe(0);
	});

	it('pads every header and body to four bytes, whatever the name and data lengths', () => {
		for (const length of [0, 1, 2, 3, 4, 5]) {
			const archive = packCpio([{ type: 'file', path: 'x'.repeat(length + 1), data: Buffer.alloc(length, 7) }]);
			expect(archive.length % 4).toBe(0);
			expect(readCpio(archive)[0]!.data).toEqual(Buffer.alloc(length, 7));
		}
	});

	it('is reproducible: the same entries give the same bytes', () => {
		const entries = [{ type: 'file' as const, path: 'init', data: Buffer.from('#!/bin/sh\n') }];
		expect(packCpio(entries).equals(packCpio(entries))).toBe(true);
	});

	it('rejects paths that climb out of the archive', () => {
		expect(() => packCpio([{ type: 'dir', path: '../etc' }])).toThrow(/Invalid cpio entry path/);
	});
});
