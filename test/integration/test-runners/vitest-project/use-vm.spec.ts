import { describe, expect, test, useVm } from '../../../../src/test-runners/vitest.js';
import { record } from './record.js';

describe('one VM for the describe block', () => {
	const vm = useVm({ accel: 'tcg' });

	test('runs the first test in it', async () => {
		record('suite-1', { pid: vm().pid });
		await vm().succeed('touch /root/suite-marker');
	});

	test('runs the second test in the same VM', async () => {
		record('suite-2', { pid: vm().pid });
		expect(await vm().exec('test -e /root/suite-marker')).toSucceed();
	});

	test('reports the block VM when a test fails (expected to fail)', async () => {
		expect(await vm().exec('echo "no such thing" >&2; exit 2')).toSucceed();
	});
});

describe('a VM per test', () => {
	const vm = useVm({ per: 'test', accel: 'tcg' });

	test('gets its own VM', async () => {
		record('per-test', { pid: vm().pid });
		expect(await vm().exec('test -e /root/suite-marker')).toFail();
	});
});
