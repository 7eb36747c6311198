/**
 * The host's own `/bin/sh` and the shared libraries it loads, so that the initramfs can carry a copy and
 * the guest can start its runner shell before the snapshot point, when no host file is reachable yet.
 *
 * Why: starting a dynamically linked shell is the single most expensive step of a fresh VM under
 * software emulation (~250 ms: loading libc over 9p, then relocating it in freshly translated code).
 * Started before the snapshot point, that cost is paid once per configuration instead of once per VM.
 * The copy is byte for byte the host's shell; the cache key covers the files' identities, so an upgrade
 * of the host's shell or libc builds a new initramfs (and snapshot).
 *
 * The libraries come from `ldd`, the host's own loader's answer. When that is not possible (no `ldd`, an
 * unusual loader, CPU-specific library variants the guest's CPU may lack), there is no copy, and the
 * guest starts the host's shell after the snapshot point as before: slower, never wrong.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { createDebug } from '../debug.js';
import { fileIdentity } from '../cache/dir.js';

const debug = createDebug('start');

export interface GuestShell {
	/** The shell binary (symlinks resolved). */
	shell: string;
	/** The program interpreter (dynamic loader) to run it with, or undefined for a static shell. */
	interpreter: string | undefined;
	/** The shared libraries it needs, by the name it asks for them (`libc.so.6`) and their file. */
	libraries: readonly { name: string; file: string }[];
}

export type LddResult =
	| { kind: 'static' }
	| { kind: 'dynamic'; interpreter: string; libraries: { name: string; file: string }[] }
	| { kind: 'unusable'; reason: string };

/**
 * Parse `ldd`'s output for one program (glibc and musl formats):
 *
 *     linux-vdso.so.1 (0x00007ffd...)
 *     libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f...)
 *     /lib64/ld-linux-x86-64.so.2 (0x00007f...)
 */
export function parseLddOutput(output: string): LddResult {
	if (/not a dynamic executable|statically linked/.test(output)) return { kind: 'static' };
	let interpreter: string | undefined;
	const libraries: { name: string; file: string }[] = [];
	for (const raw of output.split('\n')) {
		const line = raw.trim();
		if (!line) continue;
		const missing = /^(\S+) => not found$/.exec(line);
		if (missing) return { kind: 'unusable', reason: `${missing[1]} is not found` };
		const mapped = /^(\S+) => (\S+)(?: \(0x[0-9a-f]+\))?$/.exec(line);
		if (mapped) {
			const [, name, file] = mapped as unknown as [string, string, string];
			// musl lists its libc as the loader itself.
			if (file === interpreter || path.basename(file).startsWith('ld-musl')) {
				interpreter ??= file;
				continue;
			}
			libraries.push({ name, file });
			continue;
		}
		const bare = /^(\S+) \(0x[0-9a-f]+\)$/.exec(line);
		if (bare) {
			const [, name] = bare as unknown as [string, string];
			if (name.startsWith('/')) interpreter = name;
			// Anything else without a path is provided by the kernel (linux-vdso.so.1, linux-gate.so.1).
			continue;
		}
		return { kind: 'unusable', reason: `unexpected ldd output: ${line}` };
	}
	if (!interpreter) return { kind: 'unusable', reason: 'ldd named no program interpreter' };
	// A library picked for the host CPU's features (glibc-hwcaps/x86-64-v3, haswell/) may not run on the
	// guest's emulated CPU, which the guest's own loader would have taken into account.
	const cpuSpecific = libraries.find(({ file }) => /\/(?:glibc-hwcaps|tls|haswell|x86_64-v\d|avx\w*)\//.test(file));
	if (cpuSpecific) return { kind: 'unusable', reason: `${cpuSpecific.file} is built for specific CPU features` };
	return { kind: 'dynamic', interpreter, libraries };
}

/** Resolved shells by the identity of the shell binary: `ldd` costs a process start. */
const known = new Map<string, GuestShell | undefined>();

/** The host's shell and what it loads, or undefined when it cannot be carried into the guest. */
export async function resolveGuestShell(shellPath: string = '/bin/sh'): Promise<GuestShell | undefined> {
	let shell: string;
	let identity: string;
	try {
		shell = await realpath(shellPath);
		identity = await fileIdentity(shell);
	} catch {
		return undefined;
	}
	if (known.has(identity)) return known.get(identity);
	const result = await execa('ldd', [shell], { reject: false, env: { LC_ALL: 'C' }, timeout: 10_000 });
	const parsed = parseLddOutput(`${result.stdout}\n${result.stderr}`);
	let resolved: GuestShell | undefined;
	if (parsed.kind === 'static') resolved = { shell, interpreter: undefined, libraries: [] };
	else if (parsed.kind === 'dynamic') resolved = { shell, interpreter: parsed.interpreter, libraries: parsed.libraries };
	else debug(`the guest starts ${shell} after the snapshot point: ${parsed.reason}`);
	known.set(identity, resolved);
	return resolved;
}

/** The files a guest shell consists of, for cache keys and packing. */
export function guestShellFiles(shell: GuestShell): string[] {
	return [shell.shell, ...(shell.interpreter ? [shell.interpreter] : []), ...shell.libraries.map(({ file }) => file)];
}

/** Identities (path, inode, size, mtime) of a guest shell's files: a change to any builds a new initramfs. */
export async function guestShellIdentity(shell: GuestShell): Promise<string[]> {
	return Promise.all(guestShellFiles(shell).map(fileIdentity));
}
