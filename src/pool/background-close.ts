/**
 * Closing the VM a test is done with without making the test wait for it: QEMU's exit, the socket and
 * workspace removal then overlap the next test instead of adding to the file's time. Every close is
 * tracked: the end of its scope (the test file, the describe block) and the pool's close wait for it,
 * and a runner that exits or is killed meanwhile takes QEMU and the workspace with it (the exit cleanup
 * and QEMU's parent-death signal, as for any VM).
 */
import { createDebug } from '../debug.js';
import type { Vm } from '../vm/vm.js';

const debug = createDebug('pool');

interface Closing {
	scope: string | undefined;
	done: Promise<void>;
	error?: unknown;
}

export class BackgroundCloses {
	readonly #closing = new Set<Closing>();
	/** Closes that failed, kept for the `settle()` of their scope to report. */
	readonly #failed: Closing[] = [];

	/** Closes in flight now. */
	get pending(): number {
		return this.#closing.size;
	}

	/** Start closing `vm`; `settle(scope)` waits for it. */
	close(vm: Vm, scope: string | undefined): void {
		const closing: Closing = { scope, done: Promise.resolve() };
		closing.done = vm.close().then(
			() => {
				this.#closing.delete(closing);
			},
			(error: unknown) => {
				debug(`closing a VM in the background failed: ${String(error)}`);
				this.#closing.delete(closing);
				closing.error = error;
				this.#failed.push(closing);
			},
		);
		this.#closing.add(closing);
	}

	/**
	 * Wait until the closes of `scope` (every close when it is undefined) are done; rejects with the error of
	 * one that failed, so that a VM that could not be cleaned up is not silently forgotten.
	 */
	async settle(scope?: string): Promise<void> {
		const matches = (closing: Closing) => scope === undefined || closing.scope === scope;
		await Promise.all([...this.#closing].filter(matches).map((closing) => closing.done));
		const failed = this.#failed.filter(matches);
		for (const closing of failed) this.#failed.splice(this.#failed.indexOf(closing), 1);
		if (failed.length === 1) throw failed[0]!.error;
		if (failed.length > 1)
			throw new AggregateError(
				failed.map((closing) => closing.error),
				'Several VMs failed to close',
			);
	}
}
