import { createVmTest, expect } from '../../../../src/test-runners/vitest.js';
import { LOAD, splatDir, WARN } from './splat.js';

const test = createVmTest({ shared: splatDir });

test.beforeAll(async ({ fileVm }) => {
	await fileVm.succeed(LOAD);
});

test('fileVm: a WARN fails the test during which it was logged (expected to fail)', async ({ fileVm }) => {
	await fileVm.succeed(WARN);
});

test('fileVm: the next test is not failed by it', async ({ fileVm }) => {
	await fileVm.succeed('true');
});

test('fileVm: a splat of a background process between two execs is charged to the test that ran (expected to fail)', async ({ fileVm }) => {
	await fileVm.succeed(`(sleep 1; ${WARN}) >/dev/null 2>&1 &`);
	await new Promise((resolve) => setTimeout(resolve, 3000));
	await fileVm.succeed('true');
});

test('fileVm: and the test after that passes', async ({ fileVm }) => {
	await fileVm.succeed('true');
});

test('fileVm: a NULL dereference in a debugfs write handler fails the test; the writing shell dies (expected to fail)', async ({
	fileVm,
}) => {
	const result = await fileVm.exec('echo 1 >/sys/kernel/debug/vmx_splat/null');
	expect(result.exitCode).not.toBe(0);
});

test('fileVm: the same oops, expected, passes', async ({ fileVm }) => {
	await fileVm.exec('echo 1 >/sys/kernel/debug/vmx_splat/null');
	await fileVm.expectKernelReport(/NULL pointer dereference/, { kind: 'BUG' });
});

test('fileVm: a refcount underflow the test expects, through the matcher, passes', async ({ fileVm }) => {
	await fileVm.succeed('echo 1 >/sys/kernel/debug/vmx_splat/refcount');
	expect(fileVm).toHaveLoggedKernelReport('refcount_t', /underflow/);
});
