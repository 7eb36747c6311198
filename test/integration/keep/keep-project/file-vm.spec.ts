import { expect } from 'vitest';
import { test } from '../../../../src/test-runners/vitest.js';

// One file VM for three tests: the middle one fails, so the VM is kept once the file is done.
test('uses the file VM and passes', async ({ fileVm }) => {
	await fileVm.succeed('true');
});

test('leaves a mark in the file VM and fails (expected to fail)', async ({ fileVm }) => {
	await fileVm.succeed('echo file-vm-state > /tmp/mark');
	expect((await fileVm.exec('cat /tmp/mark')).stdout).toBe('something else\n');
});

test('uses the file VM after the failure and passes', async ({ fileVm }) => {
	await fileVm.succeed('cat /tmp/mark');
});
