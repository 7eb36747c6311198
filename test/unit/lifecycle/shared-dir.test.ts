/** The `shared` directory of a VM: none, a private temp dir removed with the VM, or an existing directory. */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, test } from 'vitest';
import { ResourceStack } from '../../../src/lifecycle/resource-stack.js';
import { prepareSharedDir } from '../../../src/lifecycle/shared-dir.js';

describe('prepareSharedDir', () => {
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
		const resources = new ResourceStack();
		expect(await prepareSharedDir(os.tmpdir(), resources)).toBe(os.tmpdir());
		await resources.dispose();
		expect(existsSync(os.tmpdir())).toBe(true);
	});

	test('rejects a path that is missing or not a directory with a TypeError that says what to do', async () => {
		await expect(prepareSharedDir('/nonexistent/vm-exec-shared', new ResourceStack())).rejects.toThrow(
			'Expected the `shared` option to be an existing host directory, got `/nonexistent/vm-exec-shared` (it does not exist).',
		);
		await expect(prepareSharedDir('/etc/hostname', new ResourceStack())).rejects.toThrow('(not a directory)');
	});
});
