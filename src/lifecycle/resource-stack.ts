/**
 * Undo actions registered the moment a resource is acquired, run last-first, once.
 */
export class ResourceStack {
	#undo: { label: string; run: () => unknown }[] = [];
	#disposing: Promise<void> | undefined;

	defer(label: string, run: () => unknown): void {
		if (this.#disposing) {
			// Acquired after disposal started (a race with close): release it right away.
			void Promise.resolve()
				.then(run)
				.catch(() => {});
			return;
		}
		this.#undo.push({ label, run });
	}

	/** Run every undo action, last first; failures are collected, not thrown midway. */
	dispose(): Promise<void> {
		this.#disposing ??= (async () => {
			const errors: unknown[] = [];
			while (this.#undo.length > 0) {
				const { label, run } = this.#undo.pop()!;
				try {
					await run();
				} catch (error) {
					errors.push(new Error(`Cleanup of ${label} failed: ${String(error)}`, { cause: error }));
				}
			}
			if (errors.length === 1) throw errors[0];
			if (errors.length > 1) throw new AggregateError(errors, 'Several cleanups failed');
		})();
		return this.#disposing;
	}
}
