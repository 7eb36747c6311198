/**
 * Reading an ELF64 vmlinux: its program headers, and whether it carries the PVH entry note
 * (XEN_ELFNOTE_PHYS32_ENTRY) that lets QEMU boot it directly with `-kernel`, skipping the bzImage
 * decompressor. Pure.
 */
export const PT_LOAD = 1;
const PT_NOTE = 4;
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

export function isElf64(data: Buffer): boolean {
	return data.length > 64 && data.readUInt32BE(0) === 0x7f454c46 && data[4] === 2 && data[5] === 1;
}

export interface ProgramHeader {
	/** Where the header itself lies in the file. */
	header: number;
	type: number;
	/** Where the segment's bytes lie in the file, and how many there are (p_offset, p_filesz). */
	offset: number;
	fileSize: number;
}

/** The program headers of an ELF64 file (those that lie within it). */
export function programHeaders(data: Buffer): ProgramHeader[] {
	const phoff = Number(data.readBigUInt64LE(0x20));
	const phentsize = data.readUInt16LE(0x36);
	const phnum = data.readUInt16LE(0x38);
	const headers: ProgramHeader[] = [];
	for (let index = 0; index < phnum; index++) {
		const header = phoff + index * phentsize;
		if (header + 56 > data.length) continue;
		headers.push({ header, type: data.readUInt32LE(header), offset: Number(data.readBigUInt64LE(header + 8)), fileSize: Number(data.readBigUInt64LE(header + 32)) });
	}
	return headers;
}

export function hasPvhNote(data: Buffer): boolean {
	if (!isElf64(data)) return false;
	for (const { type, offset, fileSize: size } of programHeaders(data)) {
		if (type !== PT_NOTE) continue;
		let cursor = offset;
		while (cursor + 12 <= offset + size && cursor + 12 <= data.length) {
			const nameSize = data.readUInt32LE(cursor);
			const descSize = data.readUInt32LE(cursor + 4);
			const type = data.readUInt32LE(cursor + 8);
			const name = data.toString('latin1', cursor + 12, cursor + 12 + Math.max(0, nameSize - 1));
			if (name === 'Xen' && type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
			cursor += 12 + align4(nameSize) + align4(descSize);
		}
	}
	return false;
}

function align4(value: number): number {
	return (value + 3) & ~3;
}
