import { describe, expect, it } from 'vitest';
import { readProcessState } from '../../../src/lifecycle/process-alive.js';
import { findKernelReports } from '../../../src/vm/unresponsive.js';

describe('findKernelReports', () => {
	it("picks the kernel's lockup and bug lines out of the console, without timestamps", () => {
		const console = [
			'[    4.808187] vm_exec_freeze: loading out-of-tree module taints kernel.',
			'[   13.492730] watchdog: BUG: soft lockup - CPU#0 stuck for 8s! [insmod:122]',
			'[   13.492730] Modules linked in: vm_exec_freeze(OE+) overlay 9p',
			'[   13.492730] RIP: 0010:vm_exec_freeze_spin+0x11/0x1000 [vm_exec_freeze]',
			'[   20.000000] INFO: task modprobe:77 blocked for more than 10 seconds.',
		].join('\n');
		expect(findKernelReports(console)).toEqual([
			'watchdog: BUG: soft lockup - CPU#0 stuck for 8s! [insmod:122]',
			'RIP: 0010:vm_exec_freeze_spin+0x11/0x1000 [vm_exec_freeze]',
			'INFO: task modprobe:77 blocked for more than 10 seconds.',
		]);
	});

	it('finds nothing in a quiet console', () => {
		expect(findKernelReports('')).toEqual([]);
		expect(findKernelReports('vm-exec-init: hello\n')).toEqual([]);
	});
});

describe('readProcessState', () => {
	it('reads the state of a live process, and nothing for a missing one', async () => {
		expect(readProcessState(process.pid)).toMatch(/^[RS]$/);
		expect(readProcessState(2 ** 30)).toBeUndefined();
	});
});
