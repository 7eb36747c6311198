/**
 * Keeps test/unit/tap/corpus/kselftest-6.1 honest: builds timens and kcmp from linux-source-6.1 (cached),
 * runs them in a VM today, both as run_kselftest.sh's runner runs each program and through
 * run_kselftest.sh itself, and expects them to parse as the stored corpus does (same cases, names and
 * outcomes; only numbers such as pids and memory sizes may differ).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';
import { leftovers } from '../../helpers/vm-leaks.js';
import { parseKselftestRun } from '../../../src/tap/kselftest-output.js';
import { parseTap } from '../../../src/tap/parser.js';
import type { TapDocument } from '../../../src/tap/types.js';
import { listKselftests, type KselftestTest } from '../../../src/test-runners/kselftest-install.js';
import { runKselftest } from '../../../src/test-runners/kselftest-run.js';
import { buildKselftests } from '../../helpers/kselftests.js';

const corpus = (name: string) => readFileSync(new URL(`../../unit/tap/corpus/kselftest-6.1/${name}`, import.meta.url), 'utf8');
const exitCodes = JSON.parse(corpus('exit-codes.json')) as Record<string, number>;

/** What must not change between runs: each case's number, name (digits masked) and status. */
function shapeOf(doc: TapDocument): string[] {
	return doc.cases.map((c) => `${c.number} ${c.name.replace(/\d+/g, 'N')} ${c.status}`);
}

let vm: Vm;
let selftests: KselftestTest[];
beforeAll(async () => {
	const dir = await buildKselftests();
	selftests = listKselftests(dir, { collections: ['timens', 'kcmp'] }).flatMap((collection) => collection.tests);
	// The install dir (in the cache, under the guest's own /root for root) as the working directory: exposed.
	vm = await startVm({ memory: '512M', cwd: selftests[0]!.installDir });
}, 300_000);
afterAll(async () => {
	await vm?.close();
	// Nothing of the VM (QEMU, its workspace) outlives the file.
	if (vm) expect(leftovers(vm)).toEqual([]);
});

describe('the stored kselftest corpus matches what linux-source-6.1 prints today', () => {
	test('each selftest run as the runner runs it: same exit status, same cases', async () => {
		expect(selftests.map((t) => t.id)).toEqual([
			'timens:timens',
			'timens:timerfd',
			'timens:timer',
			'timens:clock_nanosleep',
			'timens:procfs',
			'timens:exec',
			'timens:futex',
			'kcmp:kcmp_test',
		]);
		for (const selftest of selftests) {
			const file = `${selftest.collection}-${selftest.name}.txt`;
			const outcome = await runKselftest(vm, selftest);
			expect([selftest.id, outcome.exec.exitCode]).toEqual([selftest.id, exitCodes[file]]);
			expect(shapeOf(outcome.tap), outcome.output).toEqual(shapeOf(parseTap(corpus(file))));
		}
	}, 240_000);

	test('run_kselftest.sh -t timens:timens -t timens:timerfd -c kcmp: the same two-level results as stored', async () => {
		const installDir = selftests[0]!.installDir;
		const result = await vm.exec(
			`[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout; cd '${installDir}' && ./run_kselftest.sh -t timens:timens -t timens:timerfd -c kcmp 2>&1 | cat`,
			{ timeout: 180_000 },
		);
		const shape = (text: string) => parseKselftestRun(text).map((r) => [`${r.collection}:${r.test}`, r.status, shapeOf(r.tap)]);
		const stored = shape(corpus('run_kselftest.txt')).filter(([id]) => /^(timens:timens|timens:timerfd|kcmp:.*)$/.test(String(id)));
		expect(shape(result.stdout), result.stdout).toEqual(stored);
	}, 240_000);
});
