/**
 * `npm run bench`: runs every benchmark and prints one table. BENCH_BOOTS / BENCH_EXECS set the sample counts.
 */
import os from 'node:os';
import { benchCore } from './core.js';
import { benchColdplug } from './coldplug.js';
import { benchFreeze } from './freeze.js';
import { benchSnapshot } from './snapshot.js';
import { formatTable, type BenchRow } from './table.js';

const boots = Number(process.env.BENCH_BOOTS ?? 5);
const execs = Number(process.env.BENCH_EXECS ?? 50);

/** BENCH_ONLY=coldplug or BENCH_ONLY=freeze runs only that bench (coldplug cost; the liveness check and lockup flags). */
const only = process.env.BENCH_ONLY;

const rows: BenchRow[] = [];
if (!only) rows.push(...(await benchCore({ boots, execs })));
if (!only) rows.push(...(await benchSnapshot({ boots })));
if (!only || only === 'coldplug') rows.push(...(await benchColdplug({ boots })));
if (!only || only === 'freeze') rows.push(...(await benchFreeze({ boots, execs })));
process.stdout.write(
	`vm-exec benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}\n\n`,
);
process.stdout.write(`${formatTable(rows)}\n`);
