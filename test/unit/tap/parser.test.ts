import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { classifyLine, measureIndent } from '../../../src/tap/line.js';
import { parseTap, TapParser } from '../../../src/tap/parser.js';
import { summarizeTap } from '../../../src/tap/summary.js';
import type { TapEvent } from '../../../src/tap/types.js';

const hand = (name: string) => readFileSync(new URL(`corpus/hand/${name}`, import.meta.url), 'utf8');

describe('classifyLine', () => {
	test.each([
		['TAP version 14', { kind: 'version', version: 'TAP 14' }],
		['KTAP version 1', { kind: 'version', version: 'KTAP 1' }],
		['1..10', { kind: 'plan', plan: { start: 1, end: 10, skipAll: undefined } }],
		['1..0 # SKIP requires CONFIG_USER_NS', { kind: 'plan', plan: { start: 1, end: 0, skipAll: 'requires CONFIG_USER_NS' } }],
		['ok 1 - reads a plan', { kind: 'result', ok: true, number: 1, name: 'reads a plan', directive: undefined, note: undefined }],
		[
			"ok 3 # SKIP CLOCK_BOOTTIME_ALARM isn't supported",
			{
				kind: 'result',
				ok: true,
				number: 3,
				name: '',
				directive: { kind: 'skip', reason: "CLOCK_BOOTTIME_ALARM isn't supported" },
				note: undefined,
			},
		],
		[
			'not ok 7 selftests: timens: futex # TIMEOUT 45 seconds',
			{
				kind: 'result',
				ok: false,
				number: 7,
				name: 'selftests: timens: futex',
				directive: { kind: 'timeout', reason: '45 seconds' },
				note: undefined,
			},
		],
		[
			'not ok 2 selftests: rlimits: rlimits-per-userns # exit=1',
			{ kind: 'result', ok: false, number: 2, name: 'selftests: rlimits: rlimits-per-userns', directive: undefined, note: 'exit=1' },
		],
		[
			'ok 4 global.mmap # XFAIL no huge pages',
			{ kind: 'result', ok: true, number: 4, name: 'global.mmap', directive: { kind: 'xfail', reason: 'no huge pages' }, note: undefined },
		],
		[
			'not ok 3 - escapes \\# in names # TODO later',
			{ kind: 'result', ok: false, number: 3, name: 'escapes # in names', directive: { kind: 'todo', reason: 'later' }, note: undefined },
		],
		['ok', { kind: 'result', ok: true, number: undefined, name: '', directive: undefined, note: undefined }],
		['Bail out! no database', { kind: 'bail-out', reason: 'no database' }],
		['# Subtest: list-kunit-test', { kind: 'subtest', name: 'list-kunit-test' }],
		['---', { kind: 'yaml-start' }],
		['pragma +strict', { kind: 'pragma' }],
		// Not TAP: a program's own output that happens to start like a result line.
		['ok: proc_single_open(), seq_read() splice correctly failed', { kind: 'other' }],
		['okay then', { kind: 'other' }],
		['# Totals: pass:8 fail:0 xfail:0 xpass:0 skip:2 error:0', { kind: 'other' }],
		['', { kind: 'blank' }],
	])('%j', (line, expected) => {
		expect(classifyLine(line)).toEqual(expected);
	});

	test('measures indentation in columns, a tab to the next multiple of 8', () => {
		expect([measureIndent('    ok 1'), measureIndent('\tok 1'), measureIndent('  \tok'), measureIndent('ok')]).toEqual([4, 8, 8, 0]);
	});
});

describe('parseTap on hand-written edge cases', () => {
	test('KTAP nested two levels deep: names from `# Subtest:`, diagnostics before the result line, skips and xfails not failures', () => {
		const doc = parseTap(hand('ktap-nested.ktap'));
		expect(doc.version).toBe('KTAP 1');
		expect(doc.cases.map((c) => [c.number, c.name, c.status])).toEqual([
			[1, 'list-kunit-test', 'fail'],
			[2, 'sysctl_test', 'pass'],
		]);
		const list = doc.cases[0]!.subtest!;
		expect(list.name).toBe('list-kunit-test');
		expect(list.cases[1]!.diagnostics).toEqual([
			'# list_test_list_add: EXPECTATION FAILED at lib/list-test.c:55',
			'#     Expected list.next == &b, but',
			'#         list.next == 00000000a2b0c1d2',
		]);
		expect(list.cases[2]!.subtest!.cases.map((c) => c.status)).toEqual(['pass', 'skip']);
		const summary = summarizeTap(doc);
		expect(summary).toMatchObject({ ok: false, total: 6, passed: 3, failed: 1, skipped: 1, xfail: 1, todo: 0, problems: [] });
		expect(summary.failures).toEqual([
			{
				number: 2,
				name: 'list_test_list_add',
				path: ['list-kunit-test'],
				diagnostics: list.cases[1]!.diagnostics,
				yaml: undefined,
				note: undefined,
			},
		]);
	});

	test('TAP 14 subtests with `# Subtest:` at the parent level, a YAML block, and TODOs that are not failures', () => {
		const doc = parseTap(hand('tap14-subtests.tap'));
		const parser = doc.cases[0]!;
		expect(parser.subtest?.name).toBe('parser');
		expect(parser.subtest?.cases[1]!.yaml).toBe(
			"message: 'expected skip, got todo'\nseverity: fail\nat:\n  file: test/parser.js\n  line: 42",
		);
		const summary = summarizeTap(doc);
		expect(summary).toMatchObject({ ok: false, total: 4, passed: 1, failed: 1, todo: 2, problems: [] });
		expect(summary.failures.map((f) => [f.path, f.number, f.name])).toEqual([[['parser'], 2, 'reads a directive']]);
		expect(doc.cases[2]!.name).toBe('escapes # in names');
	});

	test('Bail out! stops the stream: the rest is kept as trailer, the summary fails with the reason', () => {
		const doc = parseTap(hand('bail-out.tap'));
		expect(doc.bailOut).toBe('Could not load the schema, the rest would only fail');
		expect(doc.cases).toHaveLength(2);
		expect(doc.trailer).toEqual(['ok 3 - never seen']);
		const summary = summarizeTap(doc);
		expect(summary.problems).toEqual(['Bail out! Could not load the schema, the rest would only fail']);
		expect(summary.ok).toBe(false);
	});

	test('a crash mid-stream: a short plan, and what the program printed last in the trailer', () => {
		const doc = parseTap(hand('crash-mid-stream.ktap'));
		expect(doc.problems).toEqual(['planned 6 cases, 2 ran']);
		expect(doc.trailer).toEqual(['# about to poke the device', 'Segmentation fault (core dumped)']);
		expect(summarizeTap(doc)).toMatchObject({ ok: false, passed: 2, failed: 0 });
	});

	test('a crash mid-subtest: the open subtest becomes a failed case holding what it had', () => {
		const doc = parseTap(hand('crash-mid-subtest.ktap'));
		expect(doc.cases.map((c) => [c.number, c.name, c.status, c.note])).toEqual([
			[1, 'warm_up', 'pass', undefined],
			[2, 'dma_tests', 'fail', 'no result line'],
		]);
		expect(doc.cases[1]!.subtest!.trailer).toEqual(['# dma_map: mapping 4096 bytes']);
		const summary = summarizeTap(doc);
		expect(summary.problems).toEqual([
			'subtest "dma_tests" has no result line: the stream ended inside it (crashed or cut off?)',
			'dma_tests: planned 3 cases, 1 ran',
		]);
		expect(summary.failures.map((f) => f.name)).toEqual(['dma_tests']);
	});

	test('no plan is a problem; `1..0 # SKIP` is a skipped document, not a problem', () => {
		expect(parseTap(hand('no-plan.tap')).problems).toEqual(['no plan (2 results)']);
		const skipped = parseTap(hand('skip-all.tap'));
		expect(skipped.plan?.skipAll).toBe('requires CONFIG_USER_NS');
		expect(summarizeTap(skipped)).toMatchObject({ ok: true, total: 0, problems: [] });
	});

	test('a plan printed last, and a YAML block after a comment (kselftest `size`)', () => {
		const doc = parseTap(hand('plan-at-end-yaml.tap'));
		expect(doc.problems).toEqual([]);
		expect(doc.cases[0]!.yaml).toBe('Total:  468544\nFree:   430520');
	});

	test('cases out of order and a second, different plan are problems; the same plan again is not', () => {
		expect(parseTap('1..3\nok 1\nok 3\nok 4\n').problems).toEqual(['case 3 came where case 2 was due']);
		expect(parseTap('1..2\nok 1\nok 2\n1..2\n').problems).toEqual([]);
		expect(parseTap('1..2\nok 1\nok 2\n1..3\n').problems).toEqual(['a second plan 1..3 at line 4']);
	});

	test('TAP 14 subtests three levels deep without `# Subtest:` lines take the names of their result lines', () => {
		const doc = parseTap('TAP version 14\n1..1\n    1..1\n        1..1\n        not ok 1 - deep\n    not ok 1 - middle\nnot ok 1 - top\n');
		expect(summarizeTap(doc).failures.map((f) => [f.path, f.name])).toEqual([[['top', 'middle'], 'deep']]);
		expect(doc.cases[0]!.subtest!.cases[0]!.subtest!.name).toBe('middle');
	});

	test('a YAML block left open ends where the indentation does', () => {
		const doc = parseTap('1..2\nok 1 - a\n  ---\n  foo: 1\nok 2 - b\n');
		expect(doc.cases.map((c) => [c.name, c.yaml])).toEqual([
			['a', 'foo: 1'],
			['b', undefined],
		]);
	});

	test('no output at all fails with a problem', () => {
		expect(summarizeTap(parseTap(''))).toMatchObject({ ok: false, problems: ['no plan and no results'] });
	});
});

describe('TapParser fed in chunks', () => {
	test('gives the same tree for any split of the stream, and an event per case as its line arrives', () => {
		const text = hand('ktap-nested.ktap');
		const whole = parseTap(text);
		for (const size of [1, 3, 7, 64]) {
			const events: TapEvent[] = [];
			const parser = new TapParser((event) => events.push(event));
			for (let at = 0; at < text.length; at += size) parser.write(text.slice(at, at + size));
			expect(parser.end()).toEqual(whole);
			expect(events.filter((e) => e.type === 'case').map((e) => (e.type === 'case' ? [...e.path, e.case.name].join(' › ') : ''))).toEqual([
				'list-kunit-test › list_test_list_init',
				'list-kunit-test › list_test_list_add',
				'list-kunit-test › list_test_params › params 0',
				'list-kunit-test › list_test_params › params 1',
				'list-kunit-test › list_test_params',
				'list-kunit-test',
				'sysctl_test › sysctl_test_null_table',
				'sysctl_test › sysctl_test_dointvec_read',
				'sysctl_test',
			]);
		}
	});

	test('reports a case before the stream ends (streaming progress)', () => {
		const seen: string[] = [];
		const parser = new TapParser((event) => {
			if (event.type === 'case') seen.push(event.case.name);
		});
		parser.write('TAP version 13\n1..2\nok 1 fir');
		expect(seen).toEqual([]);
		parser.write('st\nnot ok 2 sec');
		expect(seen).toEqual(['first']);
		parser.end();
		expect(seen).toEqual(['first', 'sec']);
	});

	test('a Windows line ending and a last line without a newline are read', () => {
		expect(parseTap('1..1\r\nok 1 done').cases.map((c) => c.name)).toEqual(['done']);
	});
});
