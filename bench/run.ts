/**
 * `npm run bench`: runs every benchmark and prints one table. BENCH_BOOTS / BENCH_EXECS set the sample counts.
 */
import os from 'node:os';
import { benchCore } from './core.js';
import { benchSnapshot } from './snapshot.js';
import { formatTable, type BenchRow } from './table.js';

const boots = Number(process.env.BENCH_BOOTS ?? 5);
const execs = Number(process.env.BENCH_EXECS ?? 50);

const rows: BenchRow[] = [];
rows.push(...(await benchCore({ boots, execs })));
rows.push(...(await benchSnapshot({ boots })));
process.stdout.write(
	`vm-exec benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}\n\n`,
);
process.stdout.write(`${formatTable(rows)}\n`);
