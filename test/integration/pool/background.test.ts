/**
 * What the warm pool does in the background with real VMs: a VM started ahead runs at low CPU priority
 * until a test takes it, and a VM a test is done with closes in the background yet is gone once its
 * scope (the test file) has ended, also when its test failed with a command still running.
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import type { Vm } from '../../../src/index.js';
import { backgroundPriorityAllowed, BACKGROUND_NICENESS } from '../../../src/qemu/launch-priority.js';
import { leftovers } from '../../helpers/vm-leaks.js';
import { useRealPools, waitUntil } from '../../helpers/real-pools.js';

/** The niceness of every thread of a process (field 19 of /proc/PID/task/TID/stat). */
function threadNiceness(pid: number): number[] {
	return readdirSync(`/proc/${pid}/task`).map((tid) => {
		const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
		return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
	});
}

const { newPool, handedOut } = useRealPools();

describe('a VM the pool starts ahead', () => {
	it('runs at nice 19 while it waits (where its priority can be restored), and at the runner’s priority once taken', async () => {
		const pool = newPool();
		const first = await pool.acquire({});
		handedOut.push(first.vm);
		expect(await waitUntil(() => pool.readyPids.length === 1, 60_000)).toBe(true);
		const [waitingPid] = pool.readyPids;
		const own = os.getPriority();
		// Without CAP_SYS_NICE (an ordinary user) the pool could not give it back: it starts at normal priority.
		const expected = backgroundPriorityAllowed() ? Math.min(own + BACKGROUND_NICENESS, 19) : own;
		expect(new Set(threadNiceness(waitingPid!))).toEqual(new Set([expected]));
		const second = await pool.acquire({});
		handedOut.push(second.vm);
		expect(second.vm.pid).toBe(waitingPid);
		expect(new Set(threadNiceness(waitingPid!))).toEqual(new Set([own]));
		// The test's own VM never ran at low priority.
		expect(new Set(threadNiceness(first.vm.pid!))).toEqual(new Set([own]));
		expect((await second.vm.succeed('echo up')).stdout).toBe('up\n');
	});
});

describe('a VM released to close in the background', () => {
	it('is gone, QEMU and workspace, once its scope has ended, also with a command still running in it', async () => {
		const pool = newPool();
		const { vm } = await pool.acquire({ pool: 0 }, { scope: 'file-a' });
		// As a test that failed (timed out) in the middle of a command leaves it.
		const running = vm.exec('sleep 600').catch((error: unknown) => error);
		pool.release(vm, { scope: 'file-a' });
		await pool.endScope('file-a');
		expect(leftovers(vm)).toEqual([]);
		expect(pool.closing).toBe(0);
		expect(await running).toBeInstanceOf(Error);
	});

	it('does not make the caller wait for QEMU to exit', async () => {
		const pool = newPool();
		const { vm } = await pool.acquire({ pool: 0 }, { scope: 'file-b' });
		pool.release(vm, { scope: 'file-b' });
		// Right after release() the close is under way, not done.
		expect(pool.closing).toBe(1);
		await pool.close();
		expect(leftovers(vm)).toEqual([]);
	});
});
