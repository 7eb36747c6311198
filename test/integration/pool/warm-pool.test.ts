/**
 * The warm pool with real VMs: what a pooled VM looks like to the test that gets it, and that nothing
 * it started outlives its scope, its pool or its process.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Vm } from '../../../src/index.js';
import { readProcessState } from '../../../src/lifecycle/process-alive.js';
import { isProcessAlive } from '../../helpers/vm-leaks.js';
import type { WarmPool } from '../../../src/pool/warm-pool.js';
import { useRealPools, waitUntil } from '../../helpers/real-pools.js';

/** The QEMU processes whose parent is `parent` (this test process, or a runner it started). */
function qemuChildren(parent = process.pid): number[] {
	const pids: number[] = [];
	for (const name of readdirSync('/proc')) {
		if (!/^\d+$/.test(name)) continue;
		try {
			const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
			// "pid (comm) state ppid …": comm may hold spaces, so split after its closing parenthesis.
			const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
			const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
			if (ppid === parent && comm.startsWith('qemu-system')) pids.push(Number(name));
		} catch {}
	}
	return pids;
}

const { newPool, handedOut } = useRealPools();

async function acquire(pool: WarmPool, ...args: Parameters<WarmPool['acquire']>) {
	const acquired = await pool.acquire(...args);
	handedOut.push(acquired.vm);
	return acquired;
}

/** Until the VM started ahead is up and waiting (bounded well below the test timeout). */
async function untilWaiting(pool: WarmPool, pids: () => number[], count: number): Promise<void> {
	expect(await waitUntil(() => pool.readyPids.length === 1 && pids().length === count, 60_000)).toBe(true);
}

describe('the warm pool', () => {
	it('hands out a VM in which nothing the previous test did is left', async () => {
		const pool = newPool();
		const first = await acquire(pool, {});
		expect(first.source).toBe('fresh');
		await first.vm.succeed('echo dirty >/root/left-behind && modprobe dummy && sysctl -qw net.ipv4.ip_forward=1');
		await first.vm.close();
		await untilWaiting(pool, () => qemuChildren(), 1);
		const second = await acquire(pool, {});
		expect(second.source).toBe('pool');
		const check = await second.vm.exec(
			'test -e /root/left-behind && echo file; test -d /sys/module/dummy && echo module; cat /proc/sys/net/ipv4/ip_forward',
		);
		expect(check.stdout).toBe('0\n');
	});

	it('never hands a VM of other options out', async () => {
		const pool = newPool();
		await acquire(pool, { env: { WHICH: 'one' } });
		await untilWaiting(pool, () => qemuChildren(), 2);
		const other = await acquire(pool, { env: { WHICH: 'two' } });
		expect(other.source).toBe('fresh');
		expect((await other.vm.succeed('echo $WHICH')).stdout).toBe('two\n');
		const same = await acquire(pool, { env: { WHICH: 'one' } });
		expect(same.source).toBe('pool');
		expect((await same.vm.succeed('echo $WHICH')).stdout).toBe('one\n');
	});

	it('starts nothing in the background with pool 0', async () => {
		const pool = newPool();
		const { vm } = await acquire(pool, { pool: 0 });
		// Long enough for a background start to show up as a second QEMU process.
		await new Promise((resolve) => setTimeout(resolve, 1500));
		expect(qemuChildren()).toEqual([vm.pid]);
		expect(pool.waiting).toBe(0);
	});

	it('does not hand out a VM that died while waiting', async () => {
		const pool = newPool();
		const first = await acquire(pool, {});
		await untilWaiting(pool, () => qemuChildren(), 2);
		const waitingPid = qemuChildren().find((pid) => pid !== first.vm.pid)!;
		process.kill(waitingPid, 'SIGKILL');
		// A signal is delivered asynchronously: wait (bounded) until the kernel has ended the process, as it
		// has for a VM that died while it waited.
		await untilDead(waitingPid, 5000);
		const next = await acquire(pool, {});
		expect(next.vm.pid).not.toBe(waitingPid);
		expect((await next.vm.succeed('echo alive')).stdout).toBe('alive\n');
	});

	it('leaves nothing running when its scope ends or it closes', async () => {
		const pool = newPool();
		const first = await acquire(pool, {}, { scope: 'file-a' });
		await first.vm.close();
		await untilWaiting(pool, () => qemuChildren(), 1);
		const [waitingPid] = qemuChildren();
		await pool.endScope('file-a');
		expect(pool.waiting).toBe(0);
		expect(isProcessAlive(waitingPid)).toBe(false);
		const second = await acquire(pool, {}, { scope: 'file-b' });
		await second.vm.close();
		await untilWaiting(pool, () => qemuChildren(), 1);
		await pool.close();
		// close() has killed it; the process table may show it for a moment until Node reaps it.
		expect(await waitUntil(() => qemuChildren().length === 0, 5000)).toBe(true);
	});
});

describe('a runner with a warm pool that dies', () => {
	const dist = path.resolve('dist/pool/warm-pool.js');
	it.each(['SIGKILL', 'SIGTERM'] as const)('leaves no QEMU running after %s', async (signal) => {
		const child = execa(
			'node',
			[
				'--input-type=module',
				'-e',
				`
			import { WarmPool } from ${JSON.stringify(dist)};
			const pool = new WarmPool({ idleMs: 60000, budgetMiB: 100000 });
			const { vm } = await pool.acquire({});
			// Until the VM started ahead is up: before that, its QEMU may not have been launched yet.
			while (pool.readyPids.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
			console.log('waiting');
			setInterval(() => {}, 1000);
		`,
			],
			{ reject: false, buffer: false },
		);
		await new Promise<void>((resolve, reject) => {
			child.stdout!.once('data', () => resolve());
			void child.then((result) => reject(new Error(`runner exited early: ${String(result.exitCode ?? result.signal)}`)));
		});
		// The VM in use and the one waiting.
		const pids = qemuChildren(child.pid);
		expect(pids).toHaveLength(2);
		child.kill(signal);
		await child;
		expect(await waitUntil(() => pids.every((pid) => !isProcessAlive(pid)), 5000)).toBe(true);
	});
});

/** Wait until `pid` is a zombie or gone (at most `ms`). */
async function untilDead(pid: number, ms: number): Promise<void> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		const state = readProcessState(pid);
		if (state === undefined || state === 'Z') return;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	throw new Error(`process ${pid} still runs ${ms} ms after SIGKILL`);
}
