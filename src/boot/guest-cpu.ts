/**
 * The guest CPU that the host's userland needs. The guest runs the host's own binaries, and QEMU's default
 * CPU model (`qemu64`) is x86-64 baseline: on a distribution built for x86-64-v2 (RHEL 9 and its
 * rebuilds) or v3 (RHEL 10), the host's programs refuse to start in the guest ("CPU does not support
 * x86-64-v2"). The level comes from the host's shell, its loader and libraries (the files the initramfs
 * carries, see guest-shell.ts), as their ELF notes state it (elf/isa-level.ts); Debian's say baseline.
 *
 * Baseline hosts keep QEMU's default CPU: under software emulation, `-cpu max` makes glibc pick its AVX2
 * string functions, which TCG runs slower (a file-heavy script took ~12-20 % longer).
 */
import { type IsaLevel, readIsaLevel } from '../elf/isa-level.js';
import { guestShellFiles, resolveGuestShell } from './guest-shell.js';

/**
 * The guest CPU model for a host whose userland needs `level`: `max` (everything the accelerator offers:
 * x86-64-v3 under TCG since QEMU 7.2, the host's features under KVM) above baseline, else QEMU's default.
 */
export function guestCpuModel(level: IsaLevel | undefined): string | undefined {
	return level !== undefined && level >= 2 ? 'max' : undefined;
}

/**
 * The highest level that the host's `shell`, its loader or its libraries (libc among them) say they
 * need: what every dynamic host program needs at least.
 */
export async function hostIsaLevel(shell: string): Promise<IsaLevel | undefined> {
	const resolved = await resolveGuestShell(shell);
	const levels = await Promise.all((resolved ? guestShellFiles(resolved) : [shell]).map(readIsaLevel));
	const known = levels.filter((level): level is IsaLevel => level !== undefined);
	return known.length ? (Math.max(...known) as IsaLevel) : undefined;
}
