/** The `shared` directory of a VM: none, a private temp dir removed with the VM, or an existing directory. */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { useTempDir } from '../../helpers/temp-dir.js';
import { ResourceStack } from '../../../src/lifecycle/resource-stack.js';
import { prepareSharedDir } from '../../../src/lifecycle/shared-dir.js';

describe('prepareSharedDir', () => {
	const tempDir = useTempDir();

	test('gives none for `shared: false`', async () => {
		expect(await prepareSharedDir(false, new ResourceStack())).toBeUndefined();
	});

	test('creates a private temp dir for `shared: true`, removed when the resources are', async () => {
		const resources = new ResourceStack();
		const dir = await prepareSharedDir(true, resources);
		expect(dir).toBeDefined();
		expect(statSync(dir!).mode & 0o777).toBe(0o700);
		await resources.dispose();
		expect(existsSync(dir!)).toBe(false);
	});

	test('uses an existing directory as it is, and never removes it', async () => {
		// A directory of this test's own, with a file in it: a removal of it, or of its contents, shows.
		const users = tempDir();
		writeFileSync(path.join(users, 'keep-me'), 'the user’s');
		const resources = new ResourceStack();
		expect(await prepareSharedDir(users, resources)).toBe(users);
		await resources.dispose();
		expect(existsSync(users)).toBe(true);
		expect(existsSync(path.join(users, 'keep-me'))).toBe(true);
	});

	test('rejects a path that is missing or not a directory with a TypeError that says what to do', async () => {
		await expect(prepareSharedDir('/nonexistent/vm-exec-shared', new ResourceStack())).rejects.toThrow(
			'Expected the `shared` option to be an existing host directory, got `/nonexistent/vm-exec-shared` (it does not exist).',
		);
		await expect(prepareSharedDir('/etc/hostname', new ResourceStack())).rejects.toThrow('(not a directory)');
	});
});
