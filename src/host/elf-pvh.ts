/**
 * Does an ELF vmlinux carry the PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY) that lets QEMU boot it
 * directly with `-kernel`, skipping the bzImage decompressor? Pure.
 */
const PT_NOTE = 4;
const XEN_ELFNOTE_PHYS32_ENTRY = 18;

export function isElf64(data: Buffer): boolean {
	return data.length > 64 && data.readUInt32BE(0) === 0x7f454c46 && data[4] === 2 && data[5] === 1;
}

export function hasPvhNote(data: Buffer): boolean {
	if (!isElf64(data)) return false;
	const phoff = Number(data.readBigUInt64LE(0x20));
	const phentsize = data.readUInt16LE(0x36);
	const phnum = data.readUInt16LE(0x38);
	for (let index = 0; index < phnum; index++) {
		const header = phoff + index * phentsize;
		if (header + 56 > data.length || data.readUInt32LE(header) !== PT_NOTE) continue;
		const offset = Number(data.readBigUInt64LE(header + 8));
		const size = Number(data.readBigUInt64LE(header + 32));
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
