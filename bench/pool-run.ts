/** `tsx bench/pool-run.ts`: only the warm-pool rows (BENCH_FILES files of each kind, interleaved). */
import { benchPool } from './pool.js';
import { formatTable } from './table.js';

const rows = await benchPool({ files: Number(process.env.BENCH_FILES ?? 3) });
process.stdout.write(`${formatTable(rows)}\n`);
