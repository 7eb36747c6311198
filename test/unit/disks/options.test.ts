import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { guestDiskName, normalizeDisks, parseDiskSize } from '../../../src/disks/options.js';
import { normalizeOptions } from '../../../src/options.js';

describe('parseDiskSize', () => {
	it('reads sizes with units, and numbers of bytes', () => {
		expect(parseDiskSize('64M')).toBe(64 * 1024 ** 2);
		expect(parseDiskSize('2G')).toBe(2 * 1024 ** 3);
		expect(parseDiskSize('1.5g')).toBe(1.5 * 1024 ** 3);
		expect(parseDiskSize('512K')).toBe(512 * 1024);
		expect(parseDiskSize('1MiB')).toBe(1024 ** 2);
		expect(parseDiskSize('1048576')).toBe(1048576);
		expect(parseDiskSize(4096)).toBe(4096);
	});

	it.each(['big', '', '-1M', '0', 1000, 0, '12X', Number.NaN, null])('refuses %j, which is not a size', (value) => {
		expect(() => parseDiskSize(value, 'disks[0].size')).toThrow(/^Expected the `disks\[0\]\.size` option to be a size like `'64M'`/);
	});
});

describe('normalizeDisks', () => {
	it('takes paths and objects, resolves paths and picks the format from the extension', () => {
		expect(normalizeDisks(['root.img', { path: '/data/d.qcow2', size: '1G', readOnly: true, serial: 'data' }])).toEqual([
			{ path: path.resolve('root.img'), size: undefined, format: 'raw', readOnly: false, serial: undefined },
			{ path: '/data/d.qcow2', size: 1024 ** 3, format: 'qcow2', readOnly: true, serial: 'data' },
		]);
		expect(normalizeDisks(undefined)).toEqual([]);
		expect(normalizeDisks([{ path: 'x.qcow2', format: 'raw' }])[0]!.format).toBe('raw');
	});

	it('refuses an unknown format', () => {
		expect(() => normalizeDisks([{ path: 'a.img', format: 'vmdk' }])).toThrow(
			"Expected the `disks[0].format` option to be `'raw'` or `'qcow2'`, got `\"vmdk\"`.",
		);
	});

	it('refuses a size that is not a size', () => {
		expect(() => normalizeDisks(['a.img', { path: 'b.img', size: 'lots' }])).toThrow(/`disks\[1\]\.size` option to be a size/);
	});

	it('refuses the same writable image twice, but allows it read-only twice', () => {
		expect(() => normalizeDisks(['a.img', { path: path.resolve('a.img'), readOnly: true }])).toThrow(
			/name each writable image once, got .*a\.img as disks\[0\] and disks\[1\]/,
		);
		expect(
			normalizeDisks([
				{ path: 'a.img', readOnly: true },
				{ path: 'a.img', readOnly: true },
			]),
		).toHaveLength(2);
	});

	it('refuses bad serials, unknown keys and non-arrays', () => {
		expect(() => normalizeDisks([{ path: 'a.img', serial: 'has space' }])).toThrow(/`disks\[0\]\.serial`/);
		expect(() => normalizeDisks([{ path: 'a.img', serial: 'x'.repeat(21) }])).toThrow(/`disks\[0\]\.serial`/);
		expect(() => normalizeDisks([{ path: 'a.img', readonly: true }])).toThrow('Unknown `disks[0]` option `readonly`');
		expect(() => normalizeDisks('a.img')).toThrow(/Expected the `disks` option to be an array/);
		expect(() => normalizeDisks([''])).toThrow(/`disks\[0\]\.path`/);
	});

	it('is part of the options gate, and not for launchers', () => {
		expect(normalizeOptions({ disks: ['a.img'] }).disks).toHaveLength(1);
		expect(() => normalizeOptions({ launcher: ['x'], disks: ['a.img'] })).toThrow(/`disks` option cannot be combined with `launcher`/);
	});
});

describe('guestDiskName', () => {
	it('names disks as the kernel does', () => {
		expect([0, 1, 25, 26, 27, 51, 52].map(guestDiskName)).toEqual(['vda', 'vdb', 'vdz', 'vdaa', 'vdab', 'vdaz', 'vdba']);
	});
});
