import { describe, expect, it } from 'vitest';
import { hasLaterTest, type TaskNode } from '../../../src/test-runners/later-tests.js';

/** A file of tests `a`, a describe block with `b` and `c`, then `d`; `modes` overrides their modes. */
function fileOf(modes: Record<string, string> = {}) {
	const file: TaskNode & { tasks: TaskNode[] } = { type: 'suite', tasks: [] };
	const test = (name: string): TaskNode => ({ type: 'test', mode: modes[name] ?? 'run', file });
	const tests = { a: test('a'), b: test('b'), c: test('c'), d: test('d') };
	file.tasks.push(tests.a, { type: 'suite', mode: 'run', tasks: [tests.b, tests.c], file }, tests.d);
	return tests;
}

describe('whether a later test of the file will run', () => {
	it('is true before the last test, in or out of describe blocks', () => {
		const tests = fileOf();
		expect(hasLaterTest(tests.a)).toBe(true);
		expect(hasLaterTest(tests.c)).toBe(true);
	});

	it('is false for the last test', () => {
		expect(hasLaterTest(fileOf().d)).toBe(false);
	});

	it('ignores later tests that are skipped or todo', () => {
		const tests = fileOf({ c: 'skip', d: 'todo' });
		expect(hasLaterTest(tests.b)).toBe(false);
	});

	it('says true when the task tree does not tell', () => {
		expect(hasLaterTest({ type: 'test', mode: 'run' })).toBe(true);
	});
});
