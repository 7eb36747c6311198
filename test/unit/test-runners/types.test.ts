/**
 * Type-checks test/types (typed fixtures, matchers, useVm options), whose `@ts-expect-error` lines
 * make the check fail if the types start accepting what they should reject.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { expect, test } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

test('the fixture and matcher types accept correct uses and reject wrong ones', async () => {
	const tsc = await execa(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'test/types/tsconfig.json'], {
		cwd: repoRoot,
		reject: false,
		all: true,
	});
	expect(tsc.all).toBe('');
	expect(tsc.exitCode).toBe(0);
}, 120_000);
