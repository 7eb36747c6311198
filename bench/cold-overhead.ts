/**
 * What vm-exec adds to a cold start: pairs of (the same kernel to a bare `/init`, a cold `startVm()` to its
 * first exec result), interleaved so that a change in the machine's load hits both alike; the row is the
 * per-pair difference.
 */
import { startVm } from '../src/index.js';
import { benchBareInit } from './bare-init.js';
import { rawBootSetup } from './raw-boot.js';
import type { BenchRow } from './table.js';

export async function benchColdOverhead(pairs: number): Promise<BenchRow[]> {
	const setup = await rawBootSetup();
	const differences: number[] = [];
	for (let pair = 0; pair < pairs; pair++) {
		const [bare] = await benchBareInit(setup, 1);
		const started = performance.now();
		const vm = await startVm({ snapshot: false });
		try {
			await vm.exec('true');
			differences.push(performance.now() - started - bare!);
		} finally {
			await vm.close();
		}
	}
	return [
		{ metric: 'cold startVm() → first exec result, minus bare /init (paired)', unit: 'ms', samples: differences, target: '≤ 400 ms' },
	];
}
