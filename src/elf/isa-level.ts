/**
 * The x86-64 ISA level the host's userland needs, and the guest CPU that satisfies it. The guest runs the
 * host's own binaries, and QEMU's default CPU model (`qemu64`) is x86-64 baseline: on a distribution built
 * for x86-64-v2 (RHEL 9 and its rebuilds) or v3 (RHEL 10), the host's programs refuse to start in the
 * guest ("CPU does not support x86-64-v2"). glibc (2.33 and later) marks libc with the level it was built
 * for in a GNU property note, and so do the compilers most binaries come from; Debian's say baseline.
 *
 * Baseline hosts keep QEMU's default CPU: under software emulation, `-cpu max` makes glibc pick its AVX2
 * string functions, which TCG runs slower (a file-heavy script took ~12-20 % longer).
 */
import { readFile } from 'node:fs/promises';
import { elfNotes, isElf64, PT_NOTE, programHeaders } from './elf64.js';
import { fileIdentity } from '../cache/dir.js';
import { guestShellFiles, resolveGuestShell } from '../boot/guest-shell.js';

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

/**
 * The guest CPU model for a host whose userland needs `level`: `max` (everything the accelerator offers:
 * x86-64-v3 under TCG since QEMU 7.2, the host's features under KVM) above baseline, else QEMU's default.
 */
export function guestCpuModel(level: IsaLevel | undefined): string | undefined {
	return level !== undefined && level >= 2 ? 'max' : undefined;
}

/** Levels by file identity: a start reads no file twice. */
const known = new Map<string, Promise<IsaLevel | undefined>>();

async function fileIsaLevel(file: string): Promise<IsaLevel | undefined> {
	const identity = await fileIdentity(file).catch(() => file);
	let level = known.get(identity);
	if (!level) {
		level = readFile(file).then(x86IsaLevelNeeded, () => undefined);
		known.set(identity, level);
	}
	return level;
}

/**
 * The highest level that the host's `shell`, its loader or its libraries (libc among them) say they
 * need: what every dynamic host program needs at least.
 */
export async function hostIsaLevel(shell: string): Promise<IsaLevel | undefined> {
	const resolved = await resolveGuestShell(shell);
	const levels = await Promise.all((resolved ? guestShellFiles(resolved) : [shell]).map(fileIsaLevel));
	const known = levels.filter((level): level is IsaLevel => level !== undefined);
	return known.length ? (Math.max(...known) as IsaLevel) : undefined;
}
