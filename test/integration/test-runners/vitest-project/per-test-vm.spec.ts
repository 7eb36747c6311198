import { describe, expect } from 'vitest';
import { createVmTest } from '../../../../src/test-runners/vitest.js';
import { VmView } from '../../../../src/test-runners/vm-view.js';
import { record } from './record.js';

const test = createVmTest({ memory: '320M', accel: 'tcg' });
const memTotalMiB = "awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo";

test('does not boot a VM when the test does not ask for one', ({ task }) => {
	record('no-vm', { vmInContext: 'vm' in task.context });
});

test('gets a fresh VM with the createVmTest() defaults', async ({ vm }) => {
	expect(vm).toBeInstanceOf(VmView);
	const memory = Number((await vm.succeed(memTotalMiB)).stdout);
	record('fresh-1', { pid: vm.pid, memory });
	await vm.succeed('touch /root/left-behind');
});

test('does not see what the previous test left behind', async ({ vm }) => {
	record('fresh-2', { pid: vm.pid });
	expect(await vm.exec('test -e /root/left-behind')).toFail();
});

describe('with test.override', () => {
	test.override({ vmOptions: { memory: '448M' } });

	test('boots with the overridden options', async ({ vm }) => {
		const memory = Number((await vm.succeed(memTotalMiB)).stdout);
		record('override', { pid: vm.pid, memory });
	});
});

test('shows the guest console and the last command when it fails (expected to fail)', async ({ vm }) => {
	record('failing', { pid: vm.pid });
	await vm.exec("echo '<0>vm-exec fixture: emergency marker' > /dev/kmsg");
	await vm.exec('echo "something went wrong" >&2; exit 7');
	expect('the actual value').toBe('the expected value');
});

// No VM can boot (or be restored from a snapshot) within 50 ms: the timeout hits during the boot.
test('times out while the VM boots (expected to fail)', async ({ vm }) => {
	record('boot-timeout-reached-body', { pid: vm.pid });
}, 50);
