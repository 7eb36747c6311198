/**
 * How soon the host has the guest kernel's report: from the guest creating a file in the shared dir (visible
 * on the host as it is made, over 9p) right before a WARN, to the WARN's report complete in
 * `vm.kernelLog.reports`. With the splat fixture module, built against the booted kernel's headers.
 * `BENCH_ONLY=kernel-log`; what the delivery costs a start and an exec is `BENCH_ONLY=baseline` against the
 * build before.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { startVm } from '../src/index.js';
import { buildSplatModule, loadSplatModule } from '../test/helpers/splat-module.js';
import type { BenchRow } from './table.js';

export async function benchKernelLogDelay(count: number): Promise<BenchRow[]> {
	const splat = await buildSplatModule();
	const delays: number[] = [];
	try {
		await using vm = await startVm({ shared: splat.dir });
		await loadSplatModule(vm, '/tmp/shared/vm_exec_splat.ko');
		for (let index = 0; index < count; index++) {
			const flag = path.join(splat.dir, `t${index}`);
			const reports = vm.kernelLog.reports.length;
			const exec = vm.exec(`: >/tmp/shared/t${index}; echo 1 >/sys/kernel/debug/vmx_splat/warn`);
			let flagged: number | undefined;
			const end = performance.now() + 10_000;
			while (performance.now() < end) {
				if (flagged === undefined && (await stat(flag).catch(() => undefined))) flagged = performance.now();
				await vm.kernelLog.sync();
				if (flagged !== undefined && vm.kernelLog.reports.length > reports) break;
				await new Promise((resolve) => setTimeout(resolve, 1));
			}
			await exec;
			if (flagged !== undefined && vm.kernelLog.reports.length > reports) delays.push(performance.now() - flagged);
		}
	} finally {
		await splat.cleanup();
	}
	return [{ metric: 'a WARN in the guest → its report complete on the host (vm.kernelLog)', unit: 'ms', samples: delays }];
}
