/**
 * Kernel selftests built from Debian's linux-source-6.1 for the tests (by examples/kselftest's build
 * script), cached under vm-exec's cache directory and keyed by the source tarball and the collections,
 * so only the first run on a machine builds them (~15 s for these five small collections on 2 cores).
 */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { resolveCacheDir } from '../../src/options/environment.js';
import { repoRoot } from './runner-projects.js';

export const LINUX_SOURCE = '/usr/src/linux-source-6.1.tar.xz';
const BUILD_SCRIPT = path.join(repoRoot, 'examples/kselftest/build-kselftests.sh');

/** The collections examples/kselftest builds (its build.ts): the tests build the same, so CI builds them once. */
export const KSELFTEST_COLLECTIONS: readonly string[] = ['timens', 'kcmp', 'sigaltstack', 'size', 'mincore'];

/**
 * The install directory of these collections, built on first use. Keyed as examples/kselftest/build.ts
 * keys its build, so that the example reuses what the tests built and the other way round.
 */
export async function buildKselftests(targets: readonly string[] = KSELFTEST_COLLECTIONS): Promise<string> {
	const source = await stat(LINUX_SOURCE).catch(() => {
		throw new Error(`${LINUX_SOURCE} is missing: run scripts/install-host-deps.sh --dev (it installs linux-source-6.1).`);
	});
	const key = createHash('sha256')
		.update(JSON.stringify([LINUX_SOURCE, source.size, source.mtimeMs, [...targets].sort()]))
		.digest('hex')
		.slice(0, 16);
	const dir = path.join(resolveCacheDir(), 'kselftest', `linux-source-6.1-${key}`);
	await execa('sh', [BUILD_SCRIPT, dir, targets.join(' '), LINUX_SOURCE]);
	return dir;
}
