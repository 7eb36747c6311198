import { describe, expect } from 'vitest';
import { createVmTest } from '../../../../src/test-runners/vitest.js';
import { VmView } from '../../../../src/test-runners/vm-view.js';
import { workerPool } from '../../../../src/pool/worker-pool.js';
import { record } from './record.js';

const test = createVmTest({ memory: '320M', accel: 'tcg' });
const memTotalMiB = "awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo";

test('does not boot a VM when the test does not ask for one', ({ task }) => {
	record('no-vm', { vmInContext: 'vm' in task.context });
});

test('gets a fresh VM with the createVmTest() defaults', async ({ vm }) => {
	expect(vm).toBeInstanceOf(VmView);
	const memory = Number((await vm.succeed(memTotalMiB)).stdout);
	await vm.succeed('touch /root/left-behind && modprobe dummy && sysctl -qw net.ipv4.ip_forward=1');
	// The warm pool starts the next test's VM meanwhile: wait (bounded) until it is up, to know its pid.
	const deadline = Date.now() + 60_000;
	while (workerPool().readyPids.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
	record('fresh-1', { pid: vm.pid, memory, waiting: workerPool().readyPids });
});

test('does not see what the previous test left behind', async ({ vm }) => {
	record('fresh-2', { pid: vm.pid });
	expect(await vm.exec('test -e /root/left-behind')).toFail();
	expect(await vm.exec('test -e /sys/module/dummy')).toFail();
	expect(await vm.exec('cat /proc/sys/net/ipv4/ip_forward')).toHaveStdout('0');
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

describe('without the warm pool', () => {
	// A VM waiting in the pool would be handed out at once: this test needs a VM that boots.
	test.override({ vmOptions: { pool: 0 } });

	// No VM can boot (or be restored from a snapshot) within 50 ms: the timeout hits during the boot.
	test('times out while the VM boots (expected to fail)', async ({ vm }) => {
		record('boot-timeout-reached-body', { pid: vm.pid });
	}, 50);
});
