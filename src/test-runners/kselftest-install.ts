/**
 * A kselftest install directory (`make -C tools/testing/selftests install INSTALL_PATH=DIR`): its
 * `kselftest-list.txt` (`collection:test` lines) and each collection's `settings` file (`timeout=N`,
 * as kselftest/runner.sh reads it). Read synchronously: test files list their tests at collection time.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** kselftest/runner.sh's `kselftest_default_timeout`, in seconds. */
export const KSELFTEST_DEFAULT_TIMEOUT_SECONDS = 45;

/** One selftest of an install directory. */
export interface KselftestTest {
	/** The collection (its directory under the install dir), e.g. `timens`. */
	collection: string;
	/** The program or script in that directory, e.g. `timerfd`. */
	name: string;
	/** `collection:name`, as `run_kselftest.sh -t` takes it. */
	id: string;
	/** The install directory (absolute): the guest sees the host's files at the same paths. */
	installDir: string;
	/** The collection's `settings` timeout, else kselftest's default of 45 s. */
	timeoutSeconds: number;
}

/** A collection and its selftests, in `kselftest-list.txt`'s order. */
export interface KselftestCollection {
	name: string;
	timeoutSeconds: number;
	tests: KselftestTest[];
}

/** What to take from an install directory. */
export interface ListKselftestsOptions {
	/** Only these collections (in this order). @default all of `kselftest-list.txt` */
	collections?: readonly string[];
	/** Leave these out: collection names or `collection:test` ids. */
	exclude?: readonly string[];
}

/** `kselftest-list.txt`'s `collection:test` lines, in order (blank lines and comments skipped). */
export function parseKselftestList(text: string): Array<{ collection: string; name: string }> {
	const entries: Array<{ collection: string; name: string }> = [];
	for (const raw of text.split('\n')) {
		const line = raw.trim();
		if (line === '' || line.startsWith('#')) continue;
		const colon = line.indexOf(':');
		if (colon <= 0 || colon === line.length - 1) continue;
		entries.push({ collection: line.slice(0, colon), name: line.slice(colon + 1) });
	}
	return entries;
}

/**
 * The `timeout=` of a collection's `settings` file, in seconds, as runner.sh reads it (`field=value`
 * lines, `#` comments, the last one wins); undefined when it sets none. `timeout=0` means no timeout.
 */
export function parseKselftestSettingsTimeout(text: string): number | undefined {
	let timeout: number | undefined;
	for (const raw of text.split('\n')) {
		const line = raw.trim();
		if (line.startsWith('#')) continue;
		const match = /^timeout=\s*(\d+)\s*$/.exec(line);
		if (match) timeout = Number(match[1]);
	}
	return timeout;
}

function readText(file: string): string | undefined {
	try {
		return readFileSync(file, 'utf8');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw error;
	}
}

/** The collections and selftests of a kselftest install directory. Throws when it is not one. */
export function listKselftests(installDir: string, options: ListKselftestsOptions = {}): KselftestCollection[] {
	const dir = path.resolve(installDir);
	const list = readText(path.join(dir, 'kselftest-list.txt'));
	if (list === undefined) {
		throw new Error(
			`${dir} is not a kselftest install directory: it has no kselftest-list.txt. Build one with \`make -C tools/testing/selftests TARGETS="timens kcmp" install INSTALL_PATH=${dir}\` in a kernel tree.`,
		);
	}
	const entries = parseKselftestList(list);
	const known = new Set(entries.map((entry) => entry.collection));
	const wanted = options.collections ?? [...known];
	const missing = wanted.filter((name) => !known.has(name));
	if (missing.length > 0) {
		throw new Error(`No collection ${missing.join(', ')} in ${dir}/kselftest-list.txt (it has: ${[...known].join(', ') || 'none'}).`);
	}
	const excluded = new Set(options.exclude ?? []);
	return wanted
		.filter((name) => !excluded.has(name))
		.map((name) => {
			const timeoutSeconds =
				parseKselftestSettingsTimeout(readText(path.join(dir, name, 'settings')) ?? '') ?? KSELFTEST_DEFAULT_TIMEOUT_SECONDS;
			const tests = entries
				.filter((entry) => entry.collection === name && !excluded.has(`${name}:${entry.name}`))
				.map((entry) => ({ collection: name, name: entry.name, id: `${name}:${entry.name}`, installDir: dir, timeoutSeconds }));
			return { name, timeoutSeconds, tests };
		});
}
