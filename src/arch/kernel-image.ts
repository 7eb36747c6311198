/**
 * What a kernel image file says about itself, from its first bytes: which architecture it is for. Pure.
 */
import { type Arch, archOfElfMachine } from './arch.js';

/**
 * The architecture of a kernel image: an x86 bzImage (`HdrS` at 0x202), an arm64 `Image` (`ARM\x64` at
 * 0x38, also inside its EFI stub), or an ELF vmlinux (by `e_machine`). Undefined when it is none of those
 * (a compressed `vmlinuz.gz`, say: the caller decompresses first).
 */
export function readKernelImageArch(head: Buffer): Arch | undefined {
	if (head.length >= 0x206 && head.toString('latin1', 0x202, 0x206) === 'HdrS') return 'x86_64';
	if (head.length >= 0x3c && head.readUInt32LE(0x38) === 0x644d5241) return 'aarch64';
	if (head.length >= 20 && head.readUInt32BE(0) === 0x7f454c46) {
		const littleEndian = head[5] === 1;
		return archOfElfMachine(littleEndian ? head.readUInt16LE(18) : head.readUInt16BE(18));
	}
	return undefined;
}

/** Is this a gzip stream (how Ubuntu ships its arm64 `vmlinuz`)? */
export function isGzip(head: Buffer): boolean {
	return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}
