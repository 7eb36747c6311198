import { appendFile, copyFile, open, readdir, readFile, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dir } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKernel } from '../../../src/kernel/kernel.js';
import { digestSamples } from '../../../src/snapshot/digest.js';
import { snapshotsDir } from '../../../src/snapshot/layout.js';
import { startVm, type Vm, VmBootError, type VmOptions } from '../../../src/index.js';
import { leftovers } from '../../helpers/vm-leaks.js';

// A private cache, so these tests neither depend on nor disturb the user's snapshots.
let cache: { path: string; cleanup(): Promise<void> };
beforeAll(async () => {
	cache = await dir({ prefix: 'vm-exec-snapshot-test-', unsafeCleanup: true });
});
afterAll(async () => {
	await cache?.cleanup();
});

function options(extra: VmOptions = {}): VmOptions {
	return { cacheDir: cache.path, ...extra };
}

interface Sidecar {
	file: string;
	size: number;
	sampleSha256: string;
	qemuArgs: string[];
}

async function sidecars(): Promise<Map<string, Sidecar>> {
	const names = await readdir(snapshotsDir(cache.path)).catch(() => [] as string[]);
	const entries = await Promise.all(
		names
			.filter((name) => name.endsWith('.json'))
			.map(async (name) => [name, JSON.parse(await readFile(path.join(snapshotsDir(cache.path), name), 'utf8')) as Sidecar] as const),
	);
	return new Map(entries);
}

/** The sidecar of the default configuration's snapshot (the only one with 256 MiB and one CPU). */
async function defaultSnapshot(): Promise<{ sidecar: string; meta: Sidecar; file: string }> {
	for (const [sidecar, meta] of await sidecars()) {
		if (meta.qemuArgs.join(' ').includes('-m 256 -smp 1 '))
			return { sidecar: path.join(snapshotsDir(cache.path), sidecar), meta, file: path.join(snapshotsDir(cache.path), meta.file) };
	}
	throw new Error('no snapshot of the default configuration');
}

async function closeAll(...vms: (Vm | undefined)[]): Promise<void> {
	await Promise.all(vms.map((vm) => vm?.close()));
}

describe('snapshots', () => {
	it('boots the first VM cold, saves it, and starts the next VMs from the snapshot', async () => {
		const progress: string[] = [];
		const first = await startVm(options({ onProgress: (message) => progress.push(message) }));
		let second: Vm | undefined;
		try {
			expect(first.bootedFrom).toBe('cold');
			expect(progress).toHaveLength(1);
			expect(progress[0]).toMatch(/snapshot/);
			expect((await first.exec('echo first')).stdout).toBe('first\n');
			expect(await sidecars()).toHaveProperty('size', 1);
			second = await startVm(options({ onProgress: (message) => progress.push(message) }));
			expect(second.bootedFrom).toBe('snapshot');
			expect(progress).toHaveLength(1);
			expect(await second.exec('echo second; exit 3')).toMatchObject({ stdout: 'second\n', exitCode: 3 });
		} finally {
			await closeAll(first, second);
		}
		expect(leftovers(second!)).toEqual([]);
	});

	it('gives a restored VM its own shared dir, env, working directory and kernel modules, like a cold one', async () => {
		const work = await dir({ unsafeCleanup: true });
		await writeFile(path.join(work.path, 'input.txt'), 'from the host\n');
		const vm = await startVm(options({ shared: true, env: { GREETING: 'hello from env' }, cwd: work.path }));
		try {
			expect(vm.bootedFrom).toBe('snapshot');
			const result = await vm.succeed(
				'echo "$GREETING"; pwd; cat input.txt; echo written >/tmp/shared/out.txt; uname -r; modprobe dummy && ip link add probe0 type dummy && ip -br link show probe0',
			);
			expect(result.stdout).toMatch(
				new RegExp(`^hello from env\n${work.path}\nfrom the host\n${vm.kernel.release.replaceAll('.', '\\.')}\nprobe0 `),
			);
			expect(await readFile(path.join(vm.sharedDir!, 'out.txt'), 'utf8')).toBe('written\n');
			expect((await vm.exec('hostname; cat /proc/mounts | grep -c " /tmp/shared "')).stdout).toBe('vm-exec\n1\n');
		} finally {
			await vm.close();
			await work.cleanup();
		}
	});

	it('restores two VMs at once from the same snapshot, each isolated from the other', async () => {
		const [a, b] = await Promise.all([startVm(options()), startVm(options())]);
		try {
			expect([a.bootedFrom, b.bootedFrom]).toEqual(['snapshot', 'snapshot']);
			await a.succeed('echo only-a >/root/mark');
			expect((await b.exec('cat /root/mark')).exitCode).not.toBe(0);
			expect((await a.exec('cat /root/mark')).stdout).toBe('only-a\n');
		} finally {
			await closeAll(a, b);
		}
		expect([...leftovers(a), ...leftovers(b)]).toEqual([]);
	});

	it('removes a truncated snapshot, boots that VM cold, and saves a new snapshot', async () => {
		const before = await defaultSnapshot();
		await truncate(before.file, Math.floor(before.meta.size / 2));
		const vm = await startVm(options());
		try {
			expect(vm.bootedFrom).toBe('cold');
			expect((await vm.exec('echo still works')).stdout).toBe('still works\n');
		} finally {
			await vm.close();
		}
		const after = await defaultSnapshot();
		expect(after.meta.file).not.toBe(before.meta.file);
		expect(await readdir(snapshotsDir(cache.path))).not.toContain(before.meta.file);
		const next = await startVm(options());
		await next.close();
		expect(next.bootedFrom).toBe('snapshot');
	});

	it('falls back to a cold boot when QEMU refuses a snapshot file whose damage the checksum missed', async () => {
		const before = await defaultSnapshot();
		// Damage the migration stream's header, then make the sidecar agree, as an undetected corruption would.
		const handle = await open(before.file, 'r+');
		await handle.write(Buffer.from('not a QEMU state'), 0, 16, 0);
		await handle.close();
		await writeFile(before.sidecar, JSON.stringify({ ...before.meta, sampleSha256: await digestSamples(before.file, before.meta.size) }));
		const vm = await startVm(options());
		try {
			expect(vm.bootedFrom).toBe('cold');
			expect((await vm.exec('echo recovered')).stdout).toBe('recovered\n');
		} finally {
			await vm.close();
		}
		expect((await defaultSnapshot()).meta.file).not.toBe(before.meta.file);
	});

	it('fails with a VmBootError when bootTimeout runs out during a restore, and keeps the snapshot', async () => {
		const before = await defaultSnapshot();
		await expect(startVm(options({ bootTimeout: 30 }))).rejects.toBeInstanceOf(VmBootError);
		expect((await defaultSnapshot()).meta.file).toBe(before.meta.file);
		const next = await startVm(options());
		await next.close();
		expect(next.bootedFrom).toBe('snapshot');
	});

	it('keys snapshots on the kernel content: an identical copy restores, a changed kernel boots cold and gets its own', async () => {
		const work = await dir({ unsafeCleanup: true });
		try {
			const kernel = path.join(work.path, 'vmlinuz');
			const original = await findKernel({});
			await copyFile(original.path, kernel);
			const copy = await startVm(options({ kernel }));
			await copy.close();
			expect(copy.bootedFrom).toBe('snapshot');
			const count = (await sidecars()).size;
			// Trailing bytes change the image's content hash but not the kernel inside it.
			await appendFile(kernel, Buffer.alloc(512, 0));
			const changed = await startVm(options({ kernel }));
			try {
				expect(changed.bootedFrom).toBe('cold');
				expect((await changed.exec('uname -r')).stdout).toBe(`${original.release}\n`);
			} finally {
				await changed.close();
			}
			expect((await sidecars()).size).toBe(count + 1);
		} finally {
			await work.cleanup();
		}
	});

	it('lets parallel VMs of a new configuration start while one of them creates its snapshot', async () => {
		const count = (await sidecars()).size;
		const vms = await Promise.all([startVm(options({ memory: '320M' })), startVm(options({ memory: '320M' }))]);
		try {
			expect(vms.map((vm) => vm.bootedFrom)).toEqual(['cold', 'cold']);
			const outputs = await Promise.all(vms.map((vm) => vm.exec('grep MemTotal /proc/meminfo')));
			expect(outputs.every((result) => result.exitCode === 0)).toBe(true);
		} finally {
			await closeAll(...vms);
		}
		expect((await sidecars()).size).toBe(count + 1);
		expect((await readdir(snapshotsDir(cache.path))).filter((name) => name.endsWith('.lock') || name.endsWith('.partial'))).toEqual([]);
		const next = await startVm(options({ memory: '320M' }));
		await next.close();
		expect(next.bootedFrom).toBe('snapshot');
	});

	it('gives VMs whose qemuArgs set the memory (-m) a snapshot of that size', async () => {
		for (const expected of ['cold', 'snapshot']) {
			const vm = await startVm(options({ qemuArgs: ['-m', '384M'] }));
			try {
				expect(vm.bootedFrom).toBe(expected);
				expect(Number((await vm.succeed("awk '/MemTotal/ { print $2 }' /proc/meminfo")).stdout)).toBeGreaterThan(300_000);
			} finally {
				await vm.close();
			}
		}
	});

	it('always boots cold and saves nothing with snapshot: false', async () => {
		const count = (await sidecars()).size;
		const vm = await startVm(options({ snapshot: false, memory: '288M' }));
		try {
			expect(vm.bootedFrom).toBe('cold');
			expect((await vm.exec('echo cold')).stdout).toBe('cold\n');
		} finally {
			await vm.close();
		}
		expect((await sidecars()).size).toBe(count);
	});
});
