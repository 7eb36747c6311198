import { useVm } from '../../../../dist/test-runners/jest.js';

describe('a VM per test', () => {
	const vm = useVm({ per: 'test' });
	it('passes with its own VM', async () => {
		await vm().succeed('true');
	});
	it('leaves a mark in its own VM and fails (expected to fail)', async () => {
		await vm().succeed('echo jest-per-test-state > /tmp/mark');
		expect((await vm().exec('cat /tmp/mark')).stdout).toBe('something else\n');
	});
});

describe('a VM per describe block', () => {
	const vm = useVm();
	it('leaves a mark in the block VM and fails (expected to fail)', async () => {
		await vm().succeed('echo jest-per-suite-state > /tmp/mark');
		expect((await vm().exec('cat /tmp/mark')).stdout).toBe('something else\n');
	});
	it('uses the block VM after the failure and passes', async () => {
		await vm().succeed('cat /tmp/mark');
	});
});
