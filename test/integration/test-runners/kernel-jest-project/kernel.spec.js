import { useVm } from '../../../../dist/test-runners/jest.js';

const splatDir = process.env.VM_EXEC_SPLAT_DIR;
const LOAD = 'insmod /tmp/shared/vm_exec_splat.ko warn_on_load=1 && echo loaded';

describe('a VM per test', () => {
	const vm = useVm({ per: 'test', shared: splatDir });
	it('fails when its module WARNs at load (expected to fail)', async () => {
		expect((await vm().exec(LOAD)).stdout).toBe('loaded\n');
	});
	it('passes when it expects the WARN', async () => {
		await vm().succeed(LOAD);
		await vm().expectKernelReport(/deliberate warning/, { kind: 'WARNING' });
	});
});
