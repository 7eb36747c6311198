/**
 * Where `scripts/install-host-deps.sh --arch aarch64` and `--kernel=FLAVOUR` unpack Debian's packages
 * (the tests that need them fail with the command to run when they are missing: CI runs it).
 */
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ARCH_DIR =
	process.env.VM_EXEC_ARCH_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vm-exec', 'arch');

/** The arm64 busybox root with Debian's arm64 kernel and modules in it. */
export const AARCH64_ROOT = path.join(ARCH_DIR, 'aarch64');

/** Throws the command that makes the directory when it is missing. */
export function requireUnpacked(dir: string, command: string): string {
	if (!existsSync(path.join(dir, 'boot')) || !readdirSync(path.join(dir, 'boot')).some((name) => name.startsWith('vmlinuz-'))) {
		throw new Error(`${dir} has no kernel: run \`${command}\` first (\`sh scripts/install-host-deps.sh --dev\` does it, as CI does).`);
	}
	return dir;
}

/** The kernel image unpacked in a directory. */
export function kernelIn(dir: string): string {
	const name = readdirSync(path.join(dir, 'boot')).find((entry) => entry.startsWith('vmlinuz-'));
	if (!name) throw new Error(`no vmlinuz-* in ${dir}/boot`);
	return path.join(dir, 'boot', name);
}
