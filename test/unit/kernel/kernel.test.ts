import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readKernelRelease } from '../../../src/kernel/kernel.js';

function fakeBzImage(release: string): Buffer {
	const image = Buffer.alloc(0x1000);
	image.write('HdrS', 0x202, 'latin1');
	image.writeUInt16LE(0x800 - 0x200, 0x20e);
	image.write(`${release} (debian-kernel@lists.debian.org) #1 SMP\0`, 0x800, 'latin1');
	return image;
}

describe('readKernelRelease', () => {
	it('reads the release from a bzImage setup header', () => {
		expect(readKernelRelease(fakeBzImage('6.1.0-26-amd64'))).toBe('6.1.0-26-amd64');
	});

	it('finds "Linux version" in an uncompressed image', () => {
		expect(readKernelRelease(Buffer.from('\0\0Linux version 6.12.3 (nixbld@localhost) #1-NixOS'))).toBe('6.12.3');
	});

	it('returns undefined for something that is not a kernel', () => {
		expect(readKernelRelease(Buffer.from('hello'))).toBeUndefined();
	});

	const installed = readdirSync('/boot').filter((name) => name.startsWith('vmlinuz-'));
	it('reads the release of the installed kernels', () => {
		expect(installed.length, 'no /boot/vmlinuz-* installed: run scripts/install-host-deps.sh').toBeGreaterThan(0);
		for (const name of installed) expect(readKernelRelease(readFileSync(`/boot/${name}`))).toBe(name.slice('vmlinuz-'.length));
	});
});
