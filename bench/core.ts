/**
 * Core benchmarks: cold boot to the first exec result, exec round trip, one-shot runInVm, idle memory.
 */
import { runInVm, startVm, type VmOptions } from '../src/index.js';
import { benchBareInit } from './bare-init.js';
import { benchFirstKernelLine } from './first-line.js';
import { rawBootSetup } from './raw-boot.js';
import { qemuMemoryMiB } from './qemu-memory.js';
import { type BenchRow, sample } from './table.js';

/** Options that make every start a cold boot (snapshots are measured separately, in snapshot.ts). */
const COLD: VmOptions = { snapshot: false };

export async function benchCore(options: { boots: number; execs: number }): Promise<BenchRow[]> {
	const firstResult = await sample(options.boots, async () => {
		const started = performance.now();
		const vm = await startVm(COLD);
		await vm.exec('true');
		const elapsed = performance.now() - started;
		await vm.close();
		return elapsed;
	});
	const vm = await startVm(COLD);
	let roundTrips: number[];
	let memory: number[];
	try {
		await vm.exec('true'); // warm the runner
		roundTrips = await sample(options.execs, async () => {
			const started = performance.now();
			await vm.exec('true');
			return performance.now() - started;
		});
		await new Promise((resolve) => setTimeout(resolve, 1000));
		memory = [(await qemuMemoryMiB(vm.pid!)).resident];
	} finally {
		await vm.close();
	}
	const oneShot = await sample(Math.max(1, Math.floor(options.boots / 2)), async () => {
		const started = performance.now();
		await runInVm('true', COLD);
		return performance.now() - started;
	});
	const setup = await rawBootSetup();
	const firstLine = await benchFirstKernelLine(setup, Math.max(3, options.boots));
	const bareInit = await benchBareInit(setup, Math.max(3, options.boots));
	return [
		{ metric: "QEMU start → the kernel's first console line", unit: 'ms', samples: firstLine, target: '≈ 500 ms' },
		{ metric: 'QEMU start → /init of a bare initramfs (the floor under a cold start)', unit: 'ms', samples: bareInit },
		{ metric: 'cold startVm() → first exec result', unit: 'ms', samples: firstResult, target: '≤ 1500 ms' },
		{ metric: "exec('true') round trip", unit: 'ms', samples: roundTrips, target: '≤ 20 ms' },
		{ metric: "runInVm('true') wall time (cold)", unit: 'ms', samples: oneShot },
		{ metric: 'QEMU resident memory, idle VM', unit: 'MiB', samples: memory, target: '≤ 250 MiB' },
	];
}
