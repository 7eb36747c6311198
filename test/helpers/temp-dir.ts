/**
 * A fresh temporary directory for each test, removed after it (also when the test fails).
 */
import { dir } from 'tmp-promise';
import { afterEach, beforeEach } from 'vitest';

/**
 * Registers the hooks in the enclosing file or `describe` block; the returned function gives the current
 * test's directory.
 */
export function useTempDir(): () => string {
	let temp: { path: string; cleanup(): Promise<void> } | undefined;
	beforeEach(async () => {
		temp = await dir({ unsafeCleanup: true });
	});
	afterEach(async () => {
		await temp?.cleanup();
		temp = undefined;
	});
	return () => {
		if (!temp) throw new Error('the temporary directory exists only while a test runs');
		return temp.path;
	};
}
