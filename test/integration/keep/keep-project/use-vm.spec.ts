import { describe, expect } from 'vitest';
import { test, useVm } from '../../../../src/test-runners/vitest.js';

describe('a VM per test', () => {
	const vm = useVm({ per: 'test' });
	test('passes with its own VM', async () => {
		await vm().succeed('true');
	});
	test('leaves a mark in its own VM and fails (expected to fail)', async () => {
		await vm().succeed('echo per-test-state > /tmp/mark');
		expect((await vm().exec('cat /tmp/mark')).stdout).toBe('something else\n');
	});
});

describe('a VM per describe block', () => {
	const vm = useVm();
	test('leaves a mark in the block VM and fails (expected to fail)', async () => {
		await vm().succeed('echo per-suite-state > /tmp/mark');
		expect((await vm().exec('cat /tmp/mark')).stdout).toBe('something else\n');
	});
	test('uses the block VM after the failure and passes', async () => {
		await vm().succeed('cat /tmp/mark');
	});
});

describe('a VM per describe block whose tests pass', () => {
	const vm = useVm();
	test('passes', async () => {
		await vm().succeed('true');
	});
});
