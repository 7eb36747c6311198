/**
 * `npm run bench`: runs every benchmark and prints one table. BENCH_BOOTS / BENCH_EXECS / BENCH_FILES (spec
 * files of each kind for the warm-pool rows) set the sample counts.
 */
import os from 'node:os';
import { benchArch } from './arch.js';
import { benchAttach } from './attach.js';
import { benchBaseline } from './baseline.js';
import { benchKernelLogDelay } from './kernel-log.js';
import { benchColdOverhead } from './cold-overhead.js';
import { benchCore } from './core.js';
import { benchColdplug } from './coldplug.js';
import { benchFreeze } from './freeze.js';
import { benchPool } from './pool.js';
import { benchSnapshot } from './snapshot.js';
import { formatTable, type BenchRow } from './table.js';

const boots = Number(process.env.BENCH_BOOTS ?? 5);
const execs = Number(process.env.BENCH_EXECS ?? 50);

/**
 * BENCH_ONLY=coldplug, freeze, pool, cold, arch, attach, baseline or kernel-log runs only that bench
 * (coldplug cost; the liveness check and lockup flags; the warm pool and the cold-start overhead; the
 * cold-start overhead alone, with BENCH_BASELINE_DIST compared with another build; aarch64 next to x86_64;
 * the steps of an attach; a cold and a snapshot start and exec('true') against the BENCH_BASELINE_DIST build,
 * interleaved; how soon a WARN in the guest is on the host).
 */
const only = process.env.BENCH_ONLY;

const rows: BenchRow[] = [];
if (!only) rows.push(...(await benchCore({ boots, execs })));
if (!only) rows.push(...(await benchSnapshot({ boots })));
if (!only || only === 'coldplug') rows.push(...(await benchColdplug({ boots })));
if (!only || only === 'freeze') rows.push(...(await benchFreeze({ boots, execs })));
if (!only || only === 'pool' || only === 'cold') rows.push(...(await benchColdOverhead(Math.max(3, boots))));
if (!only || only === 'pool') rows.push(...(await benchPool({ files: Number(process.env.BENCH_FILES ?? 3) })));
// Only when asked: this build against another on the two figures a change must not slow.
if (only === 'baseline') rows.push(...(await benchBaseline({ rounds: boots, execs: Math.min(execs, 20) })));
if (only === 'kernel-log') rows.push(...(await benchKernelLogDelay(Math.max(5, boots))));
// Only when asked (it keeps a VM and opens shells in it): where the time of `vm-exec attach` goes.
if (only === 'attach') rows.push(...(await benchAttach({ rounds: Math.max(3, boots) })));
// aarch64 rows next to x86_64 ones (skipped, with a note on stderr, when the arm64 root is not unpacked).
if (!only || only === 'arch') rows.push(...(await benchArch({ boots, execs })));
process.stdout.write(
	`vm-exec benchmarks on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}\n\n`,
);
process.stdout.write(`${formatTable(rows)}\n`);
