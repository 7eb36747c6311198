/**
 * Type tests of vm-exec/vitest, checked by `tsc -p test/types` (test/unit/fixtures-types.test.ts).
 * Never run: `@ts-expect-error` lines fail the check if the types stop rejecting what they should.
 */
import { expectTypeOf } from 'vitest';
import { createVmTest, describe, expect, test, useVm, type VmFixtures } from '../../src/test-runners/vitest.js';
import type { ExecResult, Vm, VmOptions } from '../../src/index.js';

test('the fixtures are typed', async ({ vm, fileVm, vmOptions, fileVmOptions, signal }) => {
	expectTypeOf(vm).toEqualTypeOf<Vm>();
	expectTypeOf(fileVm).toEqualTypeOf<Vm>();
	expectTypeOf(vmOptions).toEqualTypeOf<VmOptions>();
	expectTypeOf(fileVmOptions).toEqualTypeOf<VmOptions>();
	expectTypeOf(signal).toEqualTypeOf<AbortSignal>();
	const result = await vm.exec('true');
	expectTypeOf(result).toEqualTypeOf<ExecResult<string>>();
	expect(result).toSucceed();
	expect(result).toFail();
	expect(result).toHaveExitCode(0);
	expect(result).toHaveStdout('x');
	expect(result).toHaveStdout(/x/);
	await expect(vm.exec('true')).resolves.toSucceed();
	// @ts-expect-error: the exit code is a number
	expect(result).toHaveExitCode('0');
	// @ts-expect-error: stdout is matched against a string or a RegExp
	expect(result).toHaveStdout(1);
});

// @ts-expect-error: there is no such fixture
test('unknown fixtures are rejected', async ({ vmm }) => {});

const custom = createVmTest({ memory: '512M', shared: true });
expectTypeOf(custom).toEqualTypeOf<typeof test>();
// @ts-expect-error: a misspelt option
createVmTest({ memroy: '512M' });

describe('overrides', () => {
	custom.override({ vmOptions: { cpus: 2 } });
	// @ts-expect-error: cpus is a number
	custom.override({ vmOptions: { cpus: '2' } });
});

const suiteVm = useVm({ per: 'suite', memory: '512M' });
expectTypeOf(suiteVm).returns.toEqualTypeOf<Vm>();
// @ts-expect-error: per is 'suite' or 'test'
useVm({ per: 'file' });

expectTypeOf<VmFixtures['vm']>().toEqualTypeOf<Vm>();
