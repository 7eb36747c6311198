/**
 * Whether the test Jest runs now has failed, as seen from its `afterEach` hooks (for keep: 'failed').
 * Jest has no public API for this: jest-circus (Jest's runner since Jest 27) keeps its state on the test
 * file's global under a symbol described `JEST_STATE_SYMBOL`, whose `currentlyRunningTest.errors` holds
 * what the test (and its hooks) threw so far. Anything else (another runner, a changed state) reads as
 * "not failed", so a VM is then closed as usual rather than kept.
 */
import type { FailedTaskLike } from './keep-failed.js';

interface CircusTest {
	name?: string;
	errors?: unknown[];
}

function circusState(): { currentlyRunningTest?: CircusTest | null } | undefined {
	const key = Object.getOwnPropertySymbols(globalThis).find((symbol) => symbol.description === 'JEST_STATE_SYMBOL');
	return key ? ((globalThis as Record<symbol, unknown>)[key] as { currentlyRunningTest?: CircusTest | null }) : undefined;
}

/** The running test as a failed task (its errors, mutable, so the report can be appended), or undefined if it has not failed. */
export function failedJestTest(): FailedTaskLike | undefined {
	const test = circusState()?.currentlyRunningTest;
	if (!test || !Array.isArray(test.errors) || test.errors.length === 0) return undefined;
	// jest-circus stores an error either as is or as [error, the hook's or test's async-call-site error].
	const errors = test.errors
		.map((entry) => (Array.isArray(entry) ? entry[0] : entry))
		.filter((error): error is { message?: string; stack?: string } => typeof error === 'object' && error !== null);
	const expectState = (globalThis as { expect?: { getState?: () => { currentTestName?: string } } }).expect?.getState?.();
	return { fullName: expectState?.currentTestName ?? test.name ?? 'a failed test', result: { state: 'fail', errors } };
}
