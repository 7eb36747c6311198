/**
 * What an exec starts cannot starve vm-exec's own agent: a fork bomb left in the background, a fork bomb
 * in an exec that times out, and an exec that exhausts the guest's memory (the guest's OOM killer at work).
 * Each case runs in a VM of its own: a fork bomb left running is meant to stay.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';
import { KILL_GRACE_MS } from '../../../src/vm/guest-execs.js';
import { leftovers } from '../../helpers/vm-leaks.js';
import { within } from '../../helpers/within.js';

const FORK_BOMB = 'f(){ f|f & }; f';

let vm: Vm | undefined;
afterEach(async () => {
	await vm?.close();
	if (vm) expect(leftovers(vm)).toEqual([]);
	vm = undefined;
});

describe('a fork bomb', () => {
	it('left running in the background does not keep the next exec from settling on time, nor the agent from answering', async () => {
		vm = await startVm();
		// The bomb's first shell returns at once: the exec ends with status 0 and leaves the bomb behind.
		expect(await within(10_000, vm.exec(FORK_BOMB), 'the exec that starts the bomb')).toMatchObject({ exitCode: 0 });
		const next = await within(10_000 + KILL_GRACE_MS + 500, vm.exec('echo ok', { timeout: 10_000 }), 'the next exec');
		// Contained (its own cgroup, a limit on its processes), the bomb leaves room for the next exec to run.
		expect(next).toMatchObject({ exitCode: 0, stdout: 'ok\n', timedOut: false });
		// …and it is still running (what an exec leaves behind keeps running).
		const processes = await within(10_000, vm.exec('ls -d /proc/[0-9]* | wc -l', { timeout: 8000 }), 'counting processes');
		expect(Number(processes.stdout.trim())).toBeGreaterThan(50);
	});

	it('started by an exec with a timeout is gone when the exec times out', async () => {
		vm = await startVm();
		const bombing = await within(3000 + KILL_GRACE_MS + 500, vm.exec(`${FORK_BOMB}; sleep 60`, { timeout: 3000 }), 'the bombing exec');
		expect(bombing.timedOut).toBe(true);
		expect(await within(1000, vm.exec('echo ok'), "the 'echo ok' after it")).toMatchObject({ exitCode: 0, stdout: 'ok\n' });
		// Nothing of the bomb is left: cgroup.kill killed every process of it at once, and the guest soon runs a
		// few dozen processes again, not the hundreds the bomb had. Tearing hundreds of processes down takes the
		// emulated guest a moment after the exec has settled: count until it has (bounded).
		let count = Number.POSITIVE_INFINITY;
		for (const deadline = Date.now() + 15_000; count >= 100 && Date.now() < deadline;) {
			count = Number((await vm.exec('ls -d /proc/[0-9]* | wc -l')).stdout.trim());
			if (count >= 100) await new Promise((resolve) => setTimeout(resolve, 250));
		}
		expect(count).toBeLessThan(100);
	});
});

describe('memory exhaustion', () => {
	it('kills the exec that exhausted the memory, not the agent: the result says so and the next exec works', async () => {
		vm = await startVm();
		// A string that doubles until the shell holding it no longer fits in the guest's memory.
		const hog = await within(60_000, vm.exec('s=xxxxxxxxxxxxxxxx; while :; do s=$s$s; done', { timeout: 50_000 }), 'the memory hog');
		expect(hog).toMatchObject({ exitCode: 137, timedOut: false });
		expect(vm.consoleLog).toMatch(/Out of memory|oom-kill/);
		expect(await within(5000, vm.exec('echo ok'), 'the next exec')).toMatchObject({ exitCode: 0, stdout: 'ok\n' });
	});
});
