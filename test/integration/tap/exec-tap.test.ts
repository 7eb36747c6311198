/**
 * execTap() and toPassTap() on TAP producers run in a real VM: one that passes, one that fails, one that
 * skips, one that crashes mid-stream, one that hangs (cut at its timeout with the cases so far), and a
 * slow one whose cases are reported while it still runs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';
import { leftovers } from '../../helpers/vm-leaks.js';
import { execTap } from '../../../src/vm/exec-tap.js';
import { vmMatchers } from '../../../src/test-runners/matchers.js';
import type {} from '../../../src/test-runners/vitest.js';

expect.extend(vmMatchers);

let vm: Vm;
beforeAll(async () => {
	vm = await startVm();
});
afterAll(async () => {
	await vm?.close();
	// Nothing of the VM (QEMU, its workspace) outlives the file.
	if (vm) expect(leftovers(vm)).toEqual([]);
});

function failureOf(assertion: () => void): string {
	try {
		assertion();
	} catch (error) {
		return (error as Error).message;
	}
	throw new Error('the assertion passed');
}

describe('execTap in a VM', () => {
	test('a passing producer: KTAP with a nested subtest passes toPassTap', async () => {
		const result = await execTap(
			vm,
			`echo 'KTAP version 1'; echo '1..2'; echo '    KTAP version 1'; echo '    # Subtest: kernel'; echo '    1..1'
			 echo "    ok 1 release $(uname -r)"; echo 'ok 1 kernel'; echo 'ok 2 root is uid 0'`,
		);
		expect(result).toPassTap();
		expect(result.summary).toMatchObject({ total: 2, passed: 2 });
		expect(result.tap.cases[0]!.subtest!.cases[0]!.name).toBe(`release ${vm.kernel.release}`);
	});

	test('a failing producer: the message starts with the failing case, its number and diagnostics from the guest', async () => {
		const result = await execTap(
			vm,
			`echo 'TAP version 13'; echo '1..2'; echo 'ok 1 /proc is mounted'
			 echo "# expected 42, got $(cat /proc/sys/kernel/pid_max 2>/dev/null | head -c 0)nothing"; echo 'not ok 2 the answer'; exit 1`,
		);
		const message = failureOf(() => expect(result).toPassTap());
		expect(message.split('\n').slice(0, 4)).toEqual([
			'Expected the TAP run to pass in the VM, but 1 of 2 cases failed; it exited with code 1:',
			'',
			'not ok 2 the answer',
			'    # expected 42, got nothing',
		]);
	});

	test('a skipping producer: skips and a whole skipped plan pass', async () => {
		expect(await execTap(vm, `echo '1..2'; echo 'ok 1 # SKIP no /dev/watchdog'; echo 'ok 2 x # XFAIL known'`)).toPassTap();
		const skipped = await execTap(vm, `echo '1..0 # SKIP needs CONFIG_USER_NS'`);
		expect(skipped).toPassTap();
		expect(skipped.tap.plan?.skipAll).toBe('needs CONFIG_USER_NS');
	});

	test('a crashing producer: killed by SIGSEGV mid-stream, the short plan and the exit status fail it', async () => {
		const result = await execTap(vm, `sh -c "echo '1..5'; echo 'ok 1 first'; echo '# poking'; kill -SEGV \\$\\$"`);
		expect(result.exitCode).toBe(139);
		expect(result.summary).toMatchObject({ passed: 1, problems: ['planned 5 cases, 1 ran'] });
		expect(failureOf(() => expect(result).toPassTap())).toMatch(/its TAP is incomplete; it exited with code 139/);
	});

	test('a hanging producer is cut at its timeout, with the cases it finished', async () => {
		const result = await execTap(vm, `echo '1..3'; echo 'ok 1 quick'; echo 'ok 2 quick too'; sleep 60; echo 'ok 3 never'`, {
			timeout: 3000,
		});
		expect(result.timedOut).toBe(true);
		expect(result.tap.cases.map((c) => c.name)).toEqual(['quick', 'quick too']);
		expect(failureOf(() => expect(result).toPassTap())).toMatch(/planned 3 cases, 2 ran[\s\S]*cases: 2 passed/);
	}, 60_000);

	test('streams: each case is reported while the producer still runs', async () => {
		const started = Date.now();
		const seen: Array<[string, number]> = [];
		const result = await execTap(vm, `echo '1..3'; for i in 1 2 3; do echo "ok $i step $i"; sleep 1; done`, {
			onTapEvent: (event) => {
				if (event.type === 'case') seen.push([event.case.name, Date.now() - started]);
			},
		});
		expect(seen.map(([name]) => name)).toEqual(['step 1', 'step 2', 'step 3']);
		// The first case arrived at least a second before the exec resolved (it sleeps a second after each).
		expect(result.durationMs - seen[0]![1]).toBeGreaterThan(1000);
	}, 60_000);
});
