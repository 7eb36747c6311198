import { expect } from 'vitest';
import { test } from '../../../../src/test-runners/vitest.js';

test('leaves a mark and fails (expected to fail)', async ({ vm }) => {
	await vm.succeed('echo kept-state > /tmp/mark');
	expect((await vm.exec('cat /tmp/mark')).stdout).toBe('something else\n');
});
