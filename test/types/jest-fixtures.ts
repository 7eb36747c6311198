/** Type tests of vm-exec/jest (see vitest-fixtures.ts). */
import { expect } from '@jest/globals';
import { expectTypeOf } from 'vitest';
import { useVm, type VmGetter } from '../../src/test-runners/jest.js';
import type { Vm } from '../../src/index.js';

const vm = useVm({ per: 'test', cpus: 2 });
expectTypeOf(vm).toEqualTypeOf<VmGetter>();
expectTypeOf(vm()).toEqualTypeOf<Vm>();
// @ts-expect-error: per is 'suite' or 'test'
useVm({ per: 'describe' });

export async function matchersAreTyped(): Promise<void> {
	const result = await vm().exec('true');
	expect(result).toSucceed();
	expect(result).not.toFail();
	expect(result).toHaveExitCode(0);
	expect(result).toHaveStdout(/x/);
	// @ts-expect-error: the exit code is a number
	expect(result).toHaveExitCode('0');
}
