/**
 * The x86-64 ISA level an ELF64 program or library says it needs. glibc (2.33 and later) marks libc with
 * the level it was built for in a GNU property note (GNU_PROPERTY_X86_ISA_1_NEEDED), and so do the
 * compilers most binaries come from. What the guest's CPU must then offer is decided in boot/guest-cpu.ts.
 */
import { readFile } from 'node:fs/promises';
import { elfNotes, isElf64, PT_NOTE, programHeaders } from './elf64.js';
import { fileIdentity } from '../cache/dir.js';

const PT_GNU_PROPERTY = 0x6474e553;
const NT_GNU_PROPERTY_TYPE_0 = 5;
const GNU_PROPERTY_X86_ISA_1_NEEDED = 0xc0008002;

export type IsaLevel = 1 | 2 | 3 | 4;

/**
 * The x86-64 level (1 = baseline, 2–4 = x86-64-v2…v4) an ELF64 file's GNU property note says it needs,
 * or undefined when it says nothing. Pure.
 */
export function x86IsaLevelNeeded(elf: Buffer): IsaLevel | undefined {
	if (!isElf64(elf)) return undefined;
	for (const segment of programHeaders(elf)) {
		if (segment.type !== PT_NOTE && segment.type !== PT_GNU_PROPERTY) continue;
		for (const note of elfNotes(elf, segment)) {
			const level = note.name === 'GNU' && note.type === NT_GNU_PROPERTY_TYPE_0 ? levelInProperties(note.desc) : undefined;
			if (level) return level;
		}
	}
	return undefined;
}

function levelInProperties(properties: Buffer): IsaLevel | undefined {
	for (let at = 0; at + 8 <= properties.length;) {
		const type = properties.readUInt32LE(at);
		const size = properties.readUInt32LE(at + 4);
		if (type === GNU_PROPERTY_X86_ISA_1_NEEDED && size >= 4 && at + 12 <= properties.length) {
			const bits = properties.readUInt32LE(at + 8);
			// Bit 0 is baseline, bit 1 x86-64-v2, bit 2 v3, bit 3 v4: the highest one set is what is needed.
			for (let level = 4; level >= 1; level--) if (bits & (1 << (level - 1))) return level as IsaLevel;
			return undefined;
		}
		at += 8 + align(size, 8);
	}
	return undefined;
}

function align(value: number, to: number): number {
	return Math.ceil(value / to) * to;
}

/** Levels by file identity: a start reads no file twice. */
const known = new Map<string, Promise<IsaLevel | undefined>>();

/** The level `file` says it needs, read once per file identity (undefined when unreadable or unmarked). */
export async function readIsaLevel(file: string): Promise<IsaLevel | undefined> {
	const identity = await fileIdentity(file).catch(() => file);
	let level = known.get(identity);
	if (!level) {
		level = readFile(file).then(x86IsaLevelNeeded, () => undefined);
		known.set(identity, level);
	}
	return level;
}
