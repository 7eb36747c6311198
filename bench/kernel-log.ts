/**
 * The cost of the kernel log delivery (issue 22), A/B in one run: the snapshot start (startVm() to the
 * first exec result) and the exec('true') round trip of this tree against a checkout of the build before
 * it, run in turn (A B A B …, each run a process of its own, each tree its own snapshot cache) so that
 * the machine's drift hits both; and the delay from a WARN in the guest to the host having its record.
 *   git archive <base commit> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
 *   npx tsx bench/kernel-log.ts /tmp/base [RUNS] [EXECS]
 */
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startVm } from '../src/index.js';
import { findKernel } from '../src/kernel/kernel.js';
import { KernelLogStream } from '../src/kernel-log/kernel-log-stream.js';
import { workspaceOf } from '../test/helpers/vm-leaks.js';
import { formatTable, median, type BenchRow } from './table.js';

const run = promisify(execFile);
const HERE = fileURLToPath(new URL('..', import.meta.url));
const [base, runsArg, execsArg] = process.argv.slice(2);
if (!base) throw new Error('usage: npx tsx bench/kernel-log.ts BASE_TREE [RUNS] [EXECS]');
const runs = Number(runsArg ?? 8);
const execs = Number(execsArg ?? 30);

interface Probe {
	bootedFrom: string;
	firstResultMs: number;
	execMedianMs: number;
}

async function probe(tree: string, cacheDir: string): Promise<Probe> {
	const { stdout } = await run('npx', ['tsx', path.join(HERE, 'bench/kernel-log-probe.ts'), tree, cacheDir, String(execs)], { cwd: HERE });
	return JSON.parse(stdout.trim().split('\n').at(-1)!) as Probe;
}

/** Delay from the guest writing to the module's `warn` file to the host having the WARNING record. */
async function warnDelays(count: number): Promise<number[]> {
	const kernel = await findKernel({});
	const build = await mkdtemp(path.join(os.tmpdir(), 'vm-exec-splat-module-'));
	const delays: number[] = [];
	try {
		await cp(path.join(HERE, 'test/fixtures/splat-module'), build, { recursive: true, filter: (source) => !source.endsWith('.ts') });
		await run('make', ['-C', build, `KERNEL_RELEASE=${kernel.release}`]);
		const vm = await startVm({ shared: true });
		const stream = new KernelLogStream({ path: path.join(workspaceOf(vm), 'xchg', 'kmsg') });
		try {
			await copyFile(path.join(build, 'vm_exec_splat.ko'), path.join(vm.sharedDir!, 'vm_exec_splat.ko'));
			await vm.succeed('mount -t debugfs none /sys/kernel/debug && insmod /tmp/shared/vm_exec_splat.ko');
			for (let index = 0; index < count; index++) {
				// The guest creates a file in the shared dir (9p: visible on the host as it is made), then WARNs.
				const flag = path.join(vm.sharedDir!, `t${index}`);
				const reports = stream.reports().length;
				const exec = vm.exec(`: >/tmp/shared/t${index}; echo 1 >/sys/kernel/debug/vmx_splat/warn`);
				let flagged: number | undefined;
				const end = performance.now() + 10_000;
				while (performance.now() < end) {
					if (flagged === undefined && (await stat(flag).catch(() => undefined))) flagged = performance.now();
					await stream.readNow();
					if (flagged !== undefined && stream.reports().length > reports) break;
					await new Promise((resolve) => setTimeout(resolve, 1));
				}
				await exec;
				if (flagged !== undefined && stream.reports().length > reports) delays.push(performance.now() - flagged);
			}
		} finally {
			await stream.close();
			await vm.close();
		}
	} finally {
		await rm(build, { recursive: true, force: true });
	}
	return delays;
}

const caches = {
	before: await mkdtemp(path.join(os.tmpdir(), 'vm-exec-bench-before-')),
	after: await mkdtemp(path.join(os.tmpdir(), 'vm-exec-bench-after-')),
};
try {
	// One run each to make the snapshots (a cold boot), not counted.
	await probe(base, caches.before);
	await probe(HERE, caches.after);
	const before: Probe[] = [];
	const after: Probe[] = [];
	for (let index = 0; index < runs; index++) {
		// Alternate which goes first, so that neither always runs right after the other's QEMU exits.
		if (index % 2 === 0) {
			before.push(await probe(base, caches.before));
			after.push(await probe(HERE, caches.after));
		} else {
			after.push(await probe(HERE, caches.after));
			before.push(await probe(base, caches.before));
		}
	}
	const ratio = (pick: (probe: Probe) => number) => before.map((one, index) => pick(after[index]!) / pick(one));
	const rows: BenchRow[] = [
		{ metric: 'snapshot startVm() → first exec result, before', unit: 'ms', samples: before.map((one) => one.firstResultMs) },
		{ metric: 'snapshot startVm() → first exec result, with kernel log', unit: 'ms', samples: after.map((one) => one.firstResultMs) },
		{ metric: 'ratio after/before (pairwise, ×100)', unit: '%', samples: ratio((one) => one.firstResultMs).map((value) => value * 100) },
		{ metric: `exec('true') median of ${execs}, before`, unit: 'ms', samples: before.map((one) => one.execMedianMs) },
		{ metric: `exec('true') median of ${execs}, with kernel log`, unit: 'ms', samples: after.map((one) => one.execMedianMs) },
		{ metric: 'ratio after/before (pairwise, ×100)', unit: '%', samples: ratio((one) => one.execMedianMs).map((value) => value * 100) },
		{ metric: 'WARN in the guest → its record on the host', unit: 'ms', samples: await warnDelays(10) },
	];
	process.stdout.write(`${formatTable(rows)}\n`);
	process.stdout.write(
		`booted from: ${[...new Set([...before, ...after].map((one) => one.bootedFrom))].join(', ')}; median ratio exec ${median(ratio((one) => one.execMedianMs)).toFixed(3)}\n`,
	);
} finally {
	await rm(caches.before, { recursive: true, force: true });
	await rm(caches.after, { recursive: true, force: true });
}
