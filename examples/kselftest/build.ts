/**
 * Vitest global setup: build the selftests the tests run, unless KSELFTEST_DIR names an install
 * directory already built (`make -C tools/testing/selftests install INSTALL_PATH=…` in a kernel tree).
 * From Debian's linux-source-6.1 (or the kernel tree in KERNEL_TREE), cached under vm-exec's cache
 * directory by source and collections: only the first run builds (about 15 s on 2 cores).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

/** The small collections this example runs (each builds in seconds and passes in a vm-exec VM). */
export const COLLECTIONS = ['timens', 'kcmp', 'sigaltstack', 'size', 'mincore'];

declare module 'vitest' {
	interface ProvidedContext {
		kselftestDir: string;
		kselftestCollections: string[];
	}
}

function cacheDir(): string {
	if (process.env.VM_EXEC_CACHE) return path.resolve(process.env.VM_EXEC_CACHE);
	const xdg = process.env.XDG_CACHE_HOME;
	return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.cache'), 'vm-exec');
}

export default async function setup(project: TestProject): Promise<void> {
	const collections = process.env.KSELFTEST_COLLECTIONS?.split(/[\s,]+/).filter(Boolean) ?? COLLECTIONS;
	project.provide('kselftestCollections', collections);
	if (process.env.KSELFTEST_DIR) {
		project.provide('kselftestDir', path.resolve(process.env.KSELFTEST_DIR));
		return;
	}
	const source = process.env.KERNEL_TREE ?? '/usr/src/linux-source-6.1.tar.xz';
	const info = await stat(source).catch(() => {
		throw new Error(`No ${source}: install linux-source-6.1 (apt-get install linux-source-6.1), or set KERNEL_TREE or KSELFTEST_DIR.`);
	});
	const key = createHash('sha256')
		.update(JSON.stringify([source, info.size, info.mtimeMs, [...collections].sort()]))
		.digest('hex')
		.slice(0, 16);
	const dir = path.join(cacheDir(), 'kselftest', `${path.basename(source).replace(/\.tar\.xz$/, '')}-${key}`);
	const script = fileURLToPath(new URL('build-kselftests.sh', import.meta.url));
	await promisify(execFile)('sh', [script, dir, collections.join(' '), source], { maxBuffer: 16 * 1024 * 1024 });
	project.provide('kselftestDir', dir);
}
