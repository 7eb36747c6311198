/**
 * A spec file of 10 tests, each with its own `vm` (the fixture, as a user writes it), each running a 0.5 s
 * script. Each test appends when it started, when its VM was ready and when its script ended to
 * $BENCH_POOL_LOG (JSON lines, performance.timeOrigin-based ms), for bench/pool.ts.
 */
import { appendFileSync } from 'node:fs';
import { beforeEach } from 'vitest';
import { test } from '../../src/test-runners/vitest.js';

const log = process.env.BENCH_POOL_LOG;
const now = () => performance.timeOrigin + performance.now();
let testStarted = 0;

// Runs before the `vm` fixture is set up for the test: the test's start.
beforeEach(() => {
	testStarted = now();
});

for (let index = 0; index < 10; index++) {
	test(`test ${index}`, async ({ vm }) => {
		const ready = now();
		await vm.succeed('sleep 0.5');
		if (log) appendFileSync(log, `${JSON.stringify({ index, started: testStarted, ready, ended: now() })}\n`);
	});
}
