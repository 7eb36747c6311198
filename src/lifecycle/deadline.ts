/**
 * One deadline for a whole operation (a VM's start: `bootTimeout`), as one object: the absolute time it
 * ends, the budget it came from (for messages: "within 60000 ms"), and the operation's abort signal. Every
 * step of the start path takes the same object, so a step that fails and hands over to another (a restore
 * that fails, then a cold boot) leaves the next one only what is left, never a fresh budget.
 */
import { withDeadline } from './wait.js';

export class Deadline {
	/** The whole budget (ms), as the option gave it. */
	readonly budgetMs: number;
	/** Aborts the whole operation. */
	readonly signal: AbortSignal | undefined;
	readonly #endsAt: number;

	/** A deadline `budgetMs` from now (`now`: a `performance.now()` reading, for tests). */
	constructor(budgetMs: number, signal?: AbortSignal, now = performance.now()) {
		this.budgetMs = budgetMs;
		this.signal = signal;
		this.#endsAt = now + budgetMs;
	}

	/** Time left (ms), never below 1: a timer of 0 means "no deadline" to `withDeadline`. */
	remainingMs(): number {
		return Math.max(1, this.#endsAt - performance.now());
	}

	/** Whether the time is up. */
	get expired(): boolean {
		return performance.now() >= this.#endsAt;
	}

	/** The budget as messages name it: `60000 ms`. */
	get description(): string {
		return `${this.budgetMs} ms`;
	}

	/** Race `promise` against the time left and the signal; `onDeadline` builds the error. */
	race<T>(promise: Promise<T>, onDeadline: () => Error): Promise<T> {
		return withDeadline(promise, { ms: this.remainingMs(), signal: this.signal, onDeadline });
	}
}
