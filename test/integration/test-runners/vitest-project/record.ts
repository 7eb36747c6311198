/** Append what a test saw to the JSON-lines file the outer test reads ($VM_EXEC_FIXTURE_LOG). */
import { appendFileSync } from 'node:fs';

export function record(what: string, data: Record<string, unknown> = {}): void {
	const file = process.env.VM_EXEC_FIXTURE_LOG;
	if (!file) throw new Error('Set VM_EXEC_FIXTURE_LOG: this project is run by test/integration/test-runners/vitest.test.ts.');
	appendFileSync(file, `${JSON.stringify({ what, ...data })}\n`);
}
