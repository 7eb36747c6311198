/**
 * `tsx bench/pool-run.ts`: only the warm-pool and cold-overhead rows (BENCH_FILES Vitest runs of the spec file
 * of each kind, BENCH_BOOTS pairs); `npm run bench` prints them too (`BENCH_ONLY=pool`: only these).
 */
import { benchColdOverhead } from './cold-overhead.js';
import { benchPool } from './pool.js';
import { formatTable } from './table.js';

const rows = [
	...(await benchPool({ files: Number(process.env.BENCH_FILES ?? 3) })),
	...(await benchColdOverhead(Number(process.env.BENCH_BOOTS ?? 5))),
];
process.stdout.write(`${formatTable(rows)}\n`);
