/**
 * `bootTimeout` is the whole start's, whatever path it takes: a restore that fails and hands over to a cold
 * boot leaves the cold boot only what is left of the one deadline, never a fresh budget. Pure logic, with
 * fakes for QEMU (the snapshot files are real, in a temporary cache).
 */
import { describe, expect, it } from 'vitest';
import { VmBootError } from '../../../src/errors.js';
import { Deadline } from '../../../src/lifecycle/deadline.js';
import { bootToSnapshotPoint, type BootedGuest, snapshotKeyOf, type SnapshotBootInput } from '../../../src/snapshot/start-from-snapshot.js';
import { useFakeSnapshotCache } from '../../helpers/fake-snapshot.js';
import { samplePlan } from '../../helpers/qemu-plan.js';

const cache = useFakeSnapshotCache();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** What the fakes hand back for a booted guest: the strategy only passes it on. */
const guest = { qemu: {}, control: {} } as unknown as BootedGuest;

/** A start whose configuration has a snapshot in the cache, under `deadline`, with fake launches. */
async function startWithSnapshot(deadline: Deadline, fakes: Pick<SnapshotBootInput, 'bootCold' | 'launchForRestore'>) {
	const input: Omit<SnapshotBootInput, 'bootCold' | 'launchForRestore'> = {
		mode: 'auto',
		cacheDir: cache.cacheDir(),
		plan: samplePlan('/tmp/w'),
		perVmPaths: ['/tmp/w'],
		qemu: { path: '/nonexistent/qemu-system-x86_64', version: '7.2.22' },
		kernel: { path: '/boot/vmlinuz', key: 'kernel-key' },
		deadline,
	};
	await cache.saveFake(await snapshotKeyOf(input));
	return bootToSnapshotPoint({ ...input, ...fakes });
}

describe('the start deadline across a failed restore', () => {
	it('gives the cold boot after a failed restore only what is left of bootTimeout', async () => {
		const deadline = new Deadline(5000);
		let leftForColdBoot: number | undefined;
		const started = await startWithSnapshot(deadline, {
			// A QEMU that takes 400 ms and then does not start: says nothing about the snapshot, so a cold boot follows.
			launchForRestore: async () => {
				await sleep(400);
				throw new Error('QEMU did not start');
			},
			bootCold: async () => {
				leftForColdBoot = deadline.remainingMs();
				return guest;
			},
		});
		expect(started.bootedFrom).toBe('cold');
		expect(leftForColdBoot).toBeDefined();
		expect(leftForColdBoot!).toBeLessThanOrEqual(5000 - 400 + 50);
		expect(leftForColdBoot!).toBeGreaterThan(0);
	});

	it('fails with a VmBootError naming bootTimeout when the restore took all of it, instead of booting cold', async () => {
		const deadline = new Deadline(300);
		let coldBoots = 0;
		const error: unknown = await startWithSnapshot(deadline, {
			launchForRestore: async () => {
				await sleep(400);
				throw new Error('QEMU did not start');
			},
			bootCold: async () => {
				coldBoots++;
				return guest;
			},
		}).catch((error_: unknown) => error_);
		expect(error).toBeInstanceOf(VmBootError);
		expect((error as Error).message).toMatch(/^The VM did not finish booting within 300 ms \(loading its snapshot took all of it\)/);
		expect(coldBoots).toBe(0);
	});
});

describe('Deadline', () => {
	it('counts down from its budget and never hands out 0 (which would mean no deadline)', async () => {
		const deadline = new Deadline(100);
		expect(deadline.description).toBe('100 ms');
		expect(deadline.remainingMs()).toBeLessThanOrEqual(100);
		expect(deadline.expired).toBe(false);
		await sleep(130);
		expect(deadline.expired).toBe(true);
		expect(deadline.remainingMs()).toBe(1);
	});

	it('races a promise against the time left and rejects with the error it is given', async () => {
		const deadline = new Deadline(50);
		await expect(deadline.race(sleep(1000), () => new Error('too late'))).rejects.toThrow('too late');
		await expect(new Deadline(1000).race(Promise.resolve('now'), () => new Error('too late'))).resolves.toBe('now');
	});

	it('rejects at once when its signal is aborted', async () => {
		const controller = new AbortController();
		const deadline = new Deadline(10_000, controller.signal);
		const racing = deadline.race(sleep(5000), () => new Error('too late'));
		controller.abort(new Error('stop'));
		await expect(racing).rejects.toThrow('stop');
	});
});
