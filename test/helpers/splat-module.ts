/**
 * The splat fixture module (test/fixtures/splat-module: debugfs files that make the kernel report a WARNING,
 * an oops, a refcount underflow, … on demand), built in a temp dir against the headers of the kernel vm-exec
 * boots, and loaded into a VM.
 */
import { execFile } from 'node:child_process';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dir, type DirectoryResult } from 'tmp-promise';
import { findKernel } from '../../src/kernel/kernel.js';
import type { Vm } from '../../src/index.js';

const MODULE_SOURCE = fileURLToPath(new URL('../fixtures/splat-module/', import.meta.url));
/** Building the module takes a few seconds on 2 cores. */
export const BUILD_TIMEOUT_MS = 60_000;

export interface BuiltSplatModule {
	/** The directory of the build (the module is `vm_exec_splat.ko` in it). */
	dir: string;
	ko: string;
	cleanup(): Promise<void>;
}

/** Build the module against the booted kernel's headers, in a fresh temp dir. */
export async function buildSplatModule(): Promise<BuiltSplatModule> {
	const kernel = await findKernel({});
	const build: DirectoryResult = await dir({ unsafeCleanup: true, prefix: 'vm-exec-splat-module-' });
	await cp(MODULE_SOURCE, build.path, { recursive: true, filter: (source) => !source.endsWith('.ts') });
	await promisify(execFile)('make', ['-C', build.path, `KERNEL_RELEASE=${kernel.release}`], { timeout: BUILD_TIMEOUT_MS });
	return { dir: build.path, ko: path.join(build.path, 'vm_exec_splat.ko'), cleanup: () => build.cleanup() };
}

/** Mount debugfs and load the module (from a path the guest sees: the host's, or under the VM's shared dir). */
export async function loadSplatModule(vm: Vm, ko: string, parameters = ''): Promise<void> {
	await vm.succeed(`mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug; insmod ${ko} ${parameters}`);
}
