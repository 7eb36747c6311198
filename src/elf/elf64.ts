/**
 * Reading an ELF64 file: its program headers and notes, and whether a vmlinux carries the PVH entry note
 * (XEN_ELFNOTE_PHYS32_ENTRY) that lets QEMU boot it directly with `-kernel`, skipping the bzImage
 * decompressor. Pure.
 */
export const PT_LOAD = 1;
export const PT_NOTE = 4;
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
	/** p_align: notes in a segment aligned to 8 pad their name and description to 8 bytes, else to 4. */
	align: number;
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
		headers.push({
			header,
			type: data.readUInt32LE(header),
			offset: Number(data.readBigUInt64LE(header + 8)),
			fileSize: Number(data.readBigUInt64LE(header + 32)),
			align: Number(data.readBigUInt64LE(header + 48)),
		});
	}
	return headers;
}

export interface ElfNote {
	/** The owner, without its terminating NUL (`GNU`, `Xen`). */
	name: string;
	type: number;
	desc: Buffer;
}

/**
 * The notes in a segment (a PT_NOTE or PT_GNU_PROPERTY one), as far as they lie within the file. Each
 * note's description and the next note start at the segment's alignment (8 for GNU property notes in
 * ELF64, 4 for most others), counted from the segment's start.
 */
export function* elfNotes(data: Buffer, segment: ProgramHeader): Generator<ElfNote> {
	const unit = segment.align === 8 ? 8 : 4;
	const aligned = (at: number) => segment.offset + Math.ceil((at - segment.offset) / unit) * unit;
	const end = Math.min(segment.offset + segment.fileSize, data.length);
	for (let cursor = segment.offset; cursor + 12 <= end;) {
		const nameSize = data.readUInt32LE(cursor);
		const descSize = data.readUInt32LE(cursor + 4);
		const descStart = aligned(cursor + 12 + nameSize);
		if (descStart + descSize > end) return;
		yield {
			name: data.toString('latin1', cursor + 12, cursor + 12 + Math.max(0, nameSize - 1)),
			type: data.readUInt32LE(cursor + 8),
			desc: data.subarray(descStart, descStart + descSize),
		};
		cursor = aligned(descStart + descSize);
	}
}

export function hasPvhNote(data: Buffer): boolean {
	if (!isElf64(data)) return false;
	for (const segment of programHeaders(data)) {
		if (segment.type !== PT_NOTE) continue;
		for (const note of elfNotes(data, segment)) if (note.name === 'Xen' && note.type === XEN_ELFNOTE_PHYS32_ENTRY) return true;
	}
	return false;
}
