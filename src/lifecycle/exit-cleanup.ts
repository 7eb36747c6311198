/**
 * Synchronous last-chance cleanup when the process exits or is killed by SIGINT/SIGTERM/SIGHUP:
 * kill QEMU processes and remove workspaces that a `close()` did not get to. (SIGKILL cannot be caught:
 * there QEMU dies through its parent-death signal, and the next start removes the dirs.)
 * signal-exit re-raises the signal afterwards, so the process still dies as the user asked.
 */
import { onExit } from 'signal-exit';

const cleanups = new Map<symbol, () => void>();
let installed = false;

/** Register a synchronous cleanup; returns the function that unregisters it. */
export function registerExitCleanup(cleanup: () => void): () => void {
	if (!installed) {
		installed = true;
		onExit(() => {
			for (const run of [...cleanups.values()].reverse()) {
				try {
					run();
				} catch {}
			}
		});
	}
	const key = Symbol('cleanup');
	cleanups.set(key, cleanup);
	return () => cleanups.delete(key);
}
