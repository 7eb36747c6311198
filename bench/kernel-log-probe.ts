/**
 * One run of bench/kernel-log.ts, in a process of its own: imports vm-exec from the tree it is given
 * (this one, or a checkout of the build before the kernel log delivery), starts a VM (from that tree's
 * snapshot), times its start to the first exec result and `execs` exec('true') round trips, and prints
 * them as one JSON line.
 *   npx tsx bench/kernel-log-probe.ts TREE CACHE_DIR EXECS
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { median } from './table.js';

const [tree, cacheDir, execs] = process.argv.slice(2);
const { startVm } = (await import(pathToFileURL(path.join(tree!, 'src/index.ts')).href)) as typeof import('../src/index.js');
const started = performance.now();
const vm = await startVm({ cacheDir: cacheDir! });
try {
	await vm.exec('true');
	const firstResultMs = performance.now() - started;
	const roundTrips: number[] = [];
	for (let index = 0; index < Number(execs); index++) {
		const before = performance.now();
		await vm.exec('true');
		roundTrips.push(performance.now() - before);
	}
	process.stdout.write(`${JSON.stringify({ bootedFrom: vm.bootedFrom, firstResultMs, execMedianMs: median(roundTrips) })}\n`);
} finally {
	await vm.close();
}
