/**
 * `npx tsx bench/arch-only.ts`: only the aarch64/x86_64 rows of `npm run bench` (BENCH_BOOTS, BENCH_EXECS).
 */
import { benchArch } from './arch.js';
import { formatTable } from './table.js';

const rows = await benchArch({ boots: Number(process.env.BENCH_BOOTS ?? 5), execs: Number(process.env.BENCH_EXECS ?? 50) });
process.stdout.write(`${formatTable(rows)}\n`);
