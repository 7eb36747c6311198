/**
 * A test's error, as the fixtures add to it: every piece of evidence vm-exec appends to a failed test (the
 * guest's side of the story, the line that names a kept VM, the kernel's reports) goes through
 * `appendToError`, on one task shape for Vitest and Jest.
 */

/** What the fixtures know of a test: Vitest's task, or what vm-exec/jest gathers from Jest. */
export interface TaskLike {
	name?: string;
	fullName?: string;
	result?: { state?: string; errors?: Array<{ message?: string; stack?: string }> };
}

/** Whether the test (as far as the runner knows now) has failed. */
export function hasFailed(task: TaskLike | undefined): boolean {
	return task?.result?.state === 'fail';
}

/**
 * Append `text` to the test's first error. Some reporters (JSON, JUnit) print the stack, which starts with
 * "Name: message": the stack gets it too, so both stay in step.
 */
export function appendToError(task: TaskLike | undefined, text: string): void {
	const error = task?.result?.errors?.[0];
	if (!error || !text) return;
	const message = error.message ?? '';
	if (typeof error.stack === 'string' && message && error.stack.includes(message)) {
		error.stack = error.stack.replace(message, () => message + text);
	}
	error.message = message + text;
}
