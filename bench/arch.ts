/**
 * aarch64 next to x86_64: cold start to the first result, snapshot start to the first result, and
 * `exec('true')`, measured pair by pair in one run (machines differ by up to 2×; loads within a run less).
 * The aarch64 guest runs Debian's arm64 kernel over the busybox root that
 * `sh scripts/install-host-deps.sh --arch aarch64` unpacks; the target is within 1.5× of x86_64.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withDir } from 'tmp-promise';
import { startVm, type VmOptions } from '../src/index.js';
import type { BenchRow } from './table.js';

const ARCH_DIR =
	process.env.VM_EXEC_ARCH_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'vm-exec', 'arch');

async function toFirstResult(options: VmOptions): Promise<number> {
	const started = performance.now();
	const vm = await startVm(options);
	try {
		await vm.exec('true');
		return performance.now() - started;
	} finally {
		await vm.close();
	}
}

async function execRoundTrips(options: VmOptions, count: number): Promise<number[]> {
	const vm = await startVm(options);
	try {
		await vm.exec('true');
		const samples: number[] = [];
		for (let index = 0; index < count; index++) {
			const started = performance.now();
			await vm.exec('true');
			samples.push(performance.now() - started);
		}
		return samples;
	} finally {
		await vm.close();
	}
}

export async function benchArch(options: { boots: number; execs: number }): Promise<BenchRow[]> {
	const root = path.join(ARCH_DIR, 'aarch64');
	if (!existsSync(path.join(root, 'boot'))) {
		process.stderr.write(`bench: no aarch64 rows: ${root} is missing (sh scripts/install-host-deps.sh --arch aarch64)\n`);
		return [];
	}
	return withDir(
		async ({ path: cacheDir }) => {
			const guests: Record<string, VmOptions> = { x86_64: { cacheDir }, aarch64: { arch: 'aarch64', root, cacheDir } };
			const samples: Record<string, { cold: number[]; snapshot: number[]; exec: number[] }> = {};
			for (const name of Object.keys(guests)) {
				samples[name] = { cold: [], snapshot: [], exec: [] };
				// Prime the initramfs and the snapshot, untimed.
				await toFirstResult({ ...guests[name], snapshot: 'auto', bootTimeout: 120_000 });
			}
			for (let index = 0; index < options.boots; index++) {
				for (const [name, guest] of Object.entries(guests)) {
					samples[name]!.cold.push(await toFirstResult({ ...guest, snapshot: false, bootTimeout: 120_000 }));
					samples[name]!.snapshot.push(await toFirstResult({ ...guest, snapshot: 'auto', bootTimeout: 120_000 }));
				}
			}
			for (const [name, guest] of Object.entries(guests))
				samples[name]!.exec = await execRoundTrips({ ...guest, snapshot: 'auto' }, options.execs);
			const rows: BenchRow[] = [];
			for (const [label, key] of [
				['cold startVm() → first exec result', 'cold'],
				['snapshot startVm() → first exec result', 'snapshot'],
				["exec('true') round trip", 'exec'],
			] as const) {
				for (const name of Object.keys(guests)) {
					rows.push({
						metric: `${name}: ${label}`,
						unit: 'ms',
						samples: samples[name]![key],
						...(name === 'aarch64' ? { target: '≤ 1.5× x86_64' } : {}),
					});
				}
			}
			return rows;
		},
		{ unsafeCleanup: true, prefix: 'vm-exec-bench-arch-' },
	);
}
