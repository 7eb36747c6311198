/**
 * Trim the zero bytes a vmlinux stores at the end of its loadable segments (.bss, .brk, .init.scratch:
 * ~23 MB of Debian's 63 MB vmlinux). An ELF segment whose memory size exceeds its file size is
 * zero-filled by the loader, so the guest gets exactly the same memory; QEMU, which keeps the file
 * mapped for as long as the VM runs and copies `filesz` bytes of each segment, then touches 23 MB
 * less of it: less resident memory per VM, and a smaller cache file. Pure.
 */
import { isElf64, PT_LOAD, programHeaders } from '../elf/elf64.js';

const PAGE = 4096;

/** Length of `data[start, end)` without its trailing zero bytes. */
function withoutTrailingZeros(data: Buffer, start: number, end: number): number {
	let last = end;
	while (last > start && data[last - 1] === 0) last--;
	return last - start;
}

/**
 * A copy of the ELF with each PT_LOAD segment's file size cut to its data (rounded up to a page), the
 * file cut after the last byte a program or note header refers to, and the section headers dropped
 * (no loader reads them). Returns the input unchanged if it is not a plain ELF64 file.
 */
export function trimElfZeros(elf: Buffer): Buffer {
	if (!isElf64(elf)) return elf;
	const out = Buffer.from(elf);
	const segments = programHeaders(out).filter((header) => header.type === PT_LOAD);
	if (segments.length === 0) return elf;
	for (const segment of segments) {
		const end = Math.min(segment.offset + segment.fileSize, out.length);
		const data = withoutTrailingZeros(out, segment.offset, end);
		const trimmed = Math.min(segment.fileSize, Math.ceil(data / PAGE) * PAGE);
		out.writeBigUInt64LE(BigInt(trimmed), segment.header + 32);
	}
	// Keep everything up to the end of the furthest segment, note or header still referred to.
	let keep = Number(out.readBigUInt64LE(0x20)) + out.readUInt16LE(0x36) * out.readUInt16LE(0x38);
	for (const { offset, fileSize } of programHeaders(out)) keep = Math.max(keep, offset + fileSize);
	// No section headers: they would point past the new end.
	out.writeBigUInt64LE(0n, 0x28);
	out.writeUInt16LE(0, 0x3c);
	out.writeUInt16LE(0, 0x3e);
	return out.subarray(0, Math.min(keep, out.length));
}
