import { describe, expect, it } from 'vitest';
import { trimElfZeros } from '../../../src/boot/elf-trim.js';

/** A minimal ELF64 with program headers (type, offset, filesz, memsz) and a section header table at the end. */
function fakeElf(segments: { type: number; offset: number; fileSize: number; memSize: number; fill?: number }[], length: number): Buffer {
	const elf = Buffer.alloc(length);
	elf.writeUInt32BE(0x7f454c46, 0);
	elf[4] = 2;
	elf[5] = 1;
	elf.writeBigUInt64LE(64n, 0x20); // e_phoff
	elf.writeBigUInt64LE(BigInt(length - 128), 0x28); // e_shoff
	elf.writeUInt16LE(56, 0x36);
	elf.writeUInt16LE(segments.length, 0x38);
	elf.writeUInt16LE(2, 0x3c);
	elf.writeUInt16LE(1, 0x3e);
	segments.forEach((segment, index) => {
		const header = 64 + index * 56;
		elf.writeUInt32LE(segment.type, header);
		elf.writeBigUInt64LE(BigInt(segment.offset), header + 8);
		elf.writeBigUInt64LE(BigInt(segment.fileSize), header + 32);
		elf.writeBigUInt64LE(BigInt(segment.memSize), header + 40);
		elf.fill(segment.fill ?? 0, segment.offset, segment.offset + (segment.fill === undefined ? 0 : 5000));
	});
	return elf;
}

const fileSizeOf = (elf: Buffer, index: number) => Number(elf.readBigUInt64LE(64 + index * 56 + 32));
const memSizeOf = (elf: Buffer, index: number) => Number(elf.readBigUInt64LE(64 + index * 56 + 40));

describe('trimElfZeros', () => {
	it("cuts each segment's trailing zeros (to a page) and the file after the last segment, keeping memory sizes", () => {
		const elf = fakeElf(
			[
				{ type: 1, offset: 0x1000, fileSize: 0x4000, memSize: 0x4000, fill: 0xcc },
				{ type: 4, offset: 0x1100, fileSize: 0x10, memSize: 0x10 },
				{ type: 1, offset: 0x5000, fileSize: 0x8000, memSize: 0x9000, fill: 0xdd },
			],
			0xd000 + 0x1000,
		);
		const trimmed = trimElfZeros(elf);
		expect(fileSizeOf(trimmed, 0)).toBe(0x2000); // 5000 bytes of data → two pages
		expect(fileSizeOf(trimmed, 2)).toBe(0x2000);
		expect([memSizeOf(trimmed, 0), memSizeOf(trimmed, 2)]).toEqual([0x4000, 0x9000]);
		expect(trimmed.length).toBe(0x5000 + 0x2000);
		expect(trimmed.readBigUInt64LE(0x28)).toBe(0n); // no section headers
		expect(trimmed.subarray(0x5000, 0x5000 + 5000).every((byte) => byte === 0xdd)).toBe(true);
	});

	it('leaves what is not an ELF64 file alone', () => {
		const data = Buffer.from('not an elf file at all, not even close to one, really not at all......');
		expect(trimElfZeros(data)).toBe(data);
	});
});
