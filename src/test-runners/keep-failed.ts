/**
 * `keep: 'failed'` in the fixtures: the VM of a failed test is handed to a keeper instead of being closed,
 * and the test's error ends with the command that opens a shell in it.
 */
import { keepVm } from '../keep/keep-vm.js';
import { vmInternalsOf } from '../vm/internals-registry.js';

interface TaskLike {
	name?: string;
	fullName?: string;
	result?: { state?: string; errors?: Array<{ message?: string; stack?: string }> };
}

/** The line the failure report ends with (pure). */
export function formatKeptLine(id: string, limitMs: number): string {
	return `\n\n── vm-exec: this test's VM is kept for ${Math.round(limitMs / 60_000)} min: open a shell in it with\n  vm-exec attach ${id}\n  (vm-exec ps lists kept VMs; vm-exec kill ${id} stops it) ──`;
}

/** Keep `vm` if it was started with `keep: 'failed'`; resolves with whether it was kept. */
export async function keepFailedVm(vm: object, task: TaskLike): Promise<boolean> {
	const keep = vmInternalsOf(vm)?.keep;
	if (!keep) return false;
	const error = task.result?.errors?.[0];
	try {
		const record = await keepVm(vm, { name: task.fullName ?? task.name ?? 'a failed test' });
		if (error) {
			const line = formatKeptLine(record.id, keep.limitMs);
			if (typeof error.stack === 'string' && error.message && error.stack.includes(error.message)) {
				const message = error.message;
				error.stack = error.stack.replace(message, () => message + line);
			}
			error.message = (error.message ?? '') + line;
		}
		return true;
	} catch (failure) {
		if (error) error.message = `${error.message ?? ''}\n\n── vm-exec: could not keep this test's VM: ${String(failure)} ──`;
		return false;
	}
}
