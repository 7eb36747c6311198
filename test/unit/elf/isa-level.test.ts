import { describe, expect, it } from 'vitest';
import { x86IsaLevelNeeded } from '../../../src/elf/isa-level.js';

const GNU_PROPERTY_X86_FEATURE_1_AND = 0xc0000002;
const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;

/** A property: type, size, 4 bytes of data, padded to 8. */
function property(type: number, value: number): Buffer {
	const bytes = Buffer.alloc(16);
	bytes.writeUInt32LE(type, 0);
	bytes.writeUInt32LE(4, 4);
	bytes.writeUInt32LE(value, 8);
	return bytes;
}

/** An NT_GNU_PROPERTY_TYPE_0 note named "GNU" (or another owner) holding these properties. */
function propertyNote(properties: Buffer[], owner = 'GNU', type = 5): Buffer {
	const desc = Buffer.concat(properties);
	const header = Buffer.alloc(12);
	header.writeUInt32LE(owner.length + 1, 0);
	header.writeUInt32LE(desc.length, 4);
	header.writeUInt32LE(type, 8);
	const name = Buffer.alloc(4);
	name.write(owner, 'latin1');
	return Buffer.concat([header, name, desc]);
}

/** A minimal ELF64 file whose only program header is a segment of `type` (aligned to `align`) holding `segment`. */
function elfWith(segment: Buffer, type = 4, align = 4): Buffer {
	const elf = Buffer.alloc(64 + 56 + segment.length);
	elf.writeUInt32BE(0x7f454c46, 0);
	elf[4] = 2;
	elf[5] = 1;
	elf.writeBigUInt64LE(64n, 0x20);
	elf.writeUInt16LE(56, 0x36);
	elf.writeUInt16LE(1, 0x38);
	elf.writeUInt32LE(type, 64);
	elf.writeBigUInt64LE(120n, 64 + 8);
	elf.writeBigUInt64LE(BigInt(segment.length), 64 + 32);
	elf.writeBigUInt64LE(BigInt(align), 64 + 48);
	segment.copy(elf, 120);
	return elf;
}

describe('the x86-64 level a host binary needs', () => {
	it('reads baseline, v2 and v3 from the ISA-needed property (the highest bit set)', () => {
		expect(x86IsaLevelNeeded(elfWith(propertyNote([property(GNU_PROPERTY_X86_ISA_1_NEEDED, 0b1)])))).toBe(1);
		expect(x86IsaLevelNeeded(elfWith(propertyNote([property(GNU_PROPERTY_X86_ISA_1_NEEDED, 0b11)])))).toBe(2);
		expect(x86IsaLevelNeeded(elfWith(propertyNote([property(GNU_PROPERTY_X86_ISA_1_NEEDED, 0b100)]), 0x6474e553))).toBe(3);
	});

	it('finds the property after others in the same note', () => {
		const note = propertyNote([property(GNU_PROPERTY_X86_FEATURE_1_AND, 0b11), property(GNU_PROPERTY_X86_ISA_1_NEEDED, 0b10)]);
		expect(x86IsaLevelNeeded(elfWith(note))).toBe(2);
	});

	it("steps over notes at the segment's alignment (8 in ELF64 property segments)", () => {
		// A 12-byte description: the next note starts 4 bytes later when notes are aligned to 8.
		const other = Buffer.concat([propertyNote([], 'GNU', 3).subarray(0, 16), Buffer.alloc(12, 0xab), Buffer.alloc(4)]);
		other.writeUInt32LE(12, 4);
		const level = propertyNote([property(GNU_PROPERTY_X86_ISA_1_NEEDED, 0b10)]);
		expect(x86IsaLevelNeeded(elfWith(Buffer.concat([other, level]), 0x6474e553, 8))).toBe(2);
	});

	it('says nothing for files without the property, notes of other owners, or files that are not ELF64', () => {
		expect(x86IsaLevelNeeded(elfWith(propertyNote([property(GNU_PROPERTY_X86_FEATURE_1_AND, 0b11)])))).toBeUndefined();
		expect(x86IsaLevelNeeded(elfWith(propertyNote([property(GNU_PROPERTY_X86_ISA_1_NEEDED, 0b10)], 'XEN')))).toBeUndefined();
		expect(
			x86IsaLevelNeeded(Buffer.from('#!/bin/sh\necho not an ELF file, but long enough to look at its header at all\n')),
		).toBeUndefined();
	});
});
