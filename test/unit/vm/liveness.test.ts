import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LivenessMonitor } from '../../../src/vm/liveness.js';

describe('LivenessMonitor', () => {
	beforeEach(() => {
		vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
	});
	afterEach(() => {
		vi.useRealTimers();
	});

	function monitor() {
		const pings: string[] = [];
		const silent: number[] = [];
		const clock = { lag: 0 };
		const liveness = new LivenessMonitor({
			now: () => performance.now() + clock.lag,
			ping: (id) => pings.push(id),
			onSilent: (ms) => silent.push(ms),
			intervalMs: 1000,
			unresponsiveMs: 5000,
		});
		return { liveness, pings, silent, clock };
	}

	it('sends nothing while nothing waits on the guest', () => {
		const { pings, silent } = monitor();
		vi.advanceTimersByTime(60_000);
		expect(pings).toEqual([]);
		expect(silent).toEqual([]);
	});

	it('pings while something waits, one ping in flight at a time, and stops when released', () => {
		const { liveness, pings } = monitor();
		const release = liveness.hold();
		vi.advanceTimersByTime(999);
		expect(pings).toEqual([]);
		vi.advanceTimersByTime(2000);
		expect(pings).toEqual(['p0']);
		liveness.heard();
		vi.advanceTimersByTime(1000);
		expect(pings).toEqual(['p0', 'p1']);
		release();
		vi.advanceTimersByTime(10_000);
		expect(pings).toEqual(['p0', 'p1']);
	});

	it('reports a guest that stays silent while something waits, once', () => {
		const { liveness, silent } = monitor();
		liveness.hold();
		vi.advanceTimersByTime(4000);
		expect(silent).toEqual([]);
		vi.advanceTimersByTime(1000);
		expect(silent).toHaveLength(1);
		expect(silent[0]).toBeGreaterThanOrEqual(5000);
		vi.advanceTimersByTime(20_000);
		expect(silent).toHaveLength(1);
	});

	it('does not count the silence of an idle guest, nor a guest that keeps answering', () => {
		const { liveness, silent } = monitor();
		vi.advanceTimersByTime(60_000);
		liveness.hold();
		for (let second = 0; second < 30; second++) {
			vi.advanceTimersByTime(1000);
			liveness.heard();
		}
		expect(silent).toEqual([]);
	});

	it("does not blame the guest for the host's own stalled event loop", () => {
		const { liveness, silent, clock } = monitor();
		liveness.hold();
		vi.advanceTimersByTime(1000);
		// The next tick comes 20 s late, as after a long synchronous task: the answer may be queued behind it.
		clock.lag = 20_000;
		vi.advanceTimersByTime(1000);
		expect(silent).toEqual([]);
		// A guest that then stays silent is still reported.
		vi.advanceTimersByTime(5000);
		expect(silent).toHaveLength(1);
	});

	it('does not count the silence of a guest that a debugger holds, and reports it once it is released and still silent', async () => {
		const pings: string[] = [];
		const silent: number[] = [];
		const held = { now: true, asked: 0 };
		const liveness = new LivenessMonitor({
			ping: (id) => pings.push(id),
			onSilent: (ms) => silent.push(ms),
			isHeld: () => {
				held.asked++;
				return Promise.resolve(held.now);
			},
			intervalMs: 1000,
			unresponsiveMs: 5000,
		});
		liveness.hold();
		await vi.advanceTimersByTimeAsync(30_000);
		expect(silent).toEqual([]);
		expect(held.asked).toBeGreaterThanOrEqual(5);
		held.now = false;
		await vi.advanceTimersByTimeAsync(5000);
		expect(silent).toHaveLength(1);
	});

	it('counts the silence when the question whether a debugger holds the guest fails', async () => {
		const silent: number[] = [];
		const liveness = new LivenessMonitor({
			ping: () => {},
			onSilent: (ms) => silent.push(ms),
			isHeld: () => Promise.reject(new Error('QEMU does not answer')),
			intervalMs: 1000,
			unresponsiveMs: 5000,
		});
		liveness.hold();
		await vi.advanceTimersByTimeAsync(5000);
		expect(silent).toHaveLength(1);
	});
});
