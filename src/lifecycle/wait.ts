/**
 * Waiting with a deadline and an AbortSignal; timers are always cleared.
 */

export class DeadlineError extends Error {
	override name = 'DeadlineError';
}

/**
 * Race `promise` against a deadline (ms; 0 = none) and an abort signal. `onDeadline` builds the error.
 */
export async function withDeadline<T>(
	promise: Promise<T>,
	options: { ms: number; signal?: AbortSignal | undefined; onDeadline: () => Error },
): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	let onAbort: (() => void) | undefined;
	try {
		const racers: Promise<T>[] = [promise];
		if (options.ms > 0) {
			racers.push(
				new Promise<T>((_, reject) => {
					timer = setTimeout(() => reject(options.onDeadline()), options.ms);
				}),
			);
		}
		if (options.signal) {
			if (options.signal.aborted) {
				// The caller's promise may still reject later (QEMU exiting): it must not become unhandled.
				promise.catch(() => {});
				options.signal.throwIfAborted();
			}
			const signal = options.signal;
			racers.push(
				new Promise<T>((_, reject) => {
					onAbort = () => reject(signal.reason);
					signal.addEventListener('abort', onAbort, { once: true });
				}),
			);
		}
		return await Promise.race(racers);
	} finally {
		if (timer) clearTimeout(timer);
		if (onAbort) options.signal?.removeEventListener('abort', onAbort);
	}
}

/** Race `promise` against an abort signal only: `withDeadline` without a deadline. */
export function withAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
	return withDeadline(promise, { ms: 0, signal, onDeadline: () => new DeadlineError('withAbort has no deadline') });
}

export function delay(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}
