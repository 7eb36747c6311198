import { createVmTest, describe, expect } from '../../../../src/test-runners/vitest.js';
import { LOAD, splatDir } from './splat.js';

const test = createVmTest({ shared: splatDir });

test('a WARN at module load fails the test after its own assertions (expected to fail)', async ({ vm }) => {
	const result = await vm.exec(`${LOAD} warn_on_load=1 && echo loaded`);
	expect(result.stdout).toBe('loaded\n');
});

test('a WARN the test expects passes', async ({ vm }) => {
	await vm.succeed(`${LOAD} warn_on_load=1`);
	await vm.expectKernelReport(/deliberate warning/, { kind: 'WARNING' });
});

test('a module that only prints passes, and its lines are in the log', async ({ vm }) => {
	await vm.succeed(`${LOAD} && echo 1 >/sys/kernel/debug/vmx_splat/info`);
	expect(vm).toHaveKernelLog(/vm_exec_splat: hello from the module/);
});

describe("with kernelReports: 'report'", () => {
	test.override({ vmOptions: { kernelReports: 'report' } });
	test('a WARN is shown, not failing', async ({ vm }) => {
		await vm.succeed(`${LOAD} warn_on_load=1`);
	});
});

test('a failing assertion gets the kernel report appended (expected to fail)', async ({ vm }) => {
	await vm.succeed(`${LOAD} warn_on_load=1`);
	expect('the module').toBe('loaded without a warning');
});
