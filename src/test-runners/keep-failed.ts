/**
 * `keep: 'failed'` in the fixtures: the VM of a failed test is handed to a keeper instead of being closed,
 * and the test's error ends with the command that opens a shell in it.
 *
 * A VM of one test (`vm`, `useVm({ per: 'test' })`) is kept right after that test. A VM shared by several
 * tests (`fileVm`, `useVm()` per describe block) is still needed by the tests after the failed one: each
 * failed test's error announces the id it will have (`vm-exec attach <id>`), and the VM is kept under that
 * id when its file or block is done, named after the tests that failed.
 */
import { createKeptId, keepVm } from '../keep/keep-vm.js';
import { vmInternalsOf } from '../vm/internals-registry.js';
import { appendToError, type TaskLike } from './test-error.js';
import type { VmSlot } from './use-vm.js';

/** What the fixtures know of a failed test (test-error.ts). */
export type FailedTaskLike = TaskLike;

/** The line the failure report ends with (pure). `later`: the VM is shared, and kept when its scope is done. */
export function formatKeptLine(id: string, limitMs: number, later?: string): string {
	const minutes = Math.round(limitMs / 60_000);
	const head = later
		? `this test's VM (${later}) is kept for ${minutes} min once the tests that share it are done: open a shell in it with`
		: `this test's VM is kept for ${minutes} min: open a shell in it with`;
	return `\n\n── vm-exec: ${head}\n  vm-exec attach ${id}\n  (vm-exec ps lists kept VMs; vm-exec kill ${id} stops it) ──`;
}

function nameOf(task: FailedTaskLike): string {
	return task.fullName ?? task.name ?? 'a failed test';
}

/** Keep `vm` if it was started with `keep: 'failed'`; resolves with whether it was kept. */
export async function keepFailedVm(vm: object, task: FailedTaskLike): Promise<boolean> {
	const keep = vmInternalsOf(vm)?.keep;
	if (!keep) return false;
	try {
		const record = await keepVm(vm, { name: nameOf(task) });
		appendToError(task, formatKeptLine(record.id, keep.limitMs));
		return true;
	} catch (failure) {
		appendToError(task, `\n\n── vm-exec: could not keep this test's VM: ${String(failure)} ──`);
		return false;
	}
}

/** The shared VMs a failed test used, to be kept when their scope ends: the announced id and the failed tests. */
const sharedKeeps = new WeakMap<object, { id: string; failed: string[]; label: string }>();

/** The label of a `useVm()` describe-block VM in a failed test's report, in Vitest and in Jest alike. */
export const BLOCK_VM_LABEL = 'the describe block’s VM from useVm()';

/**
 * A test that used the shared VM `vm` (labelled e.g. "the file VM `fileVm`") failed: if `vm` was started
 * with `keep: 'failed'`, end the test's error with the id it will be kept under.
 */
export function noteSharedVmFailure(vm: object, task: FailedTaskLike, label: string): void {
	const keep = vmInternalsOf(vm)?.keep;
	if (!keep) return;
	let entry = sharedKeeps.get(vm);
	if (!entry) {
		entry = { id: createKeptId(), failed: [], label };
		sharedKeeps.set(vm, entry);
	}
	entry.failed.push(nameOf(task));
	appendToError(task, formatKeptLine(entry.id, keep.limitMs, label));
}

/**
 * The end of a shared VM's scope: keep it under the announced id when one of its tests failed, else (or
 * when it cannot be kept) close it.
 */
export async function closeOrKeepSharedVm(vm: { close(): Promise<void> }, close = () => vm.close()): Promise<void> {
	const entry = sharedKeeps.get(vm);
	sharedKeeps.delete(vm);
	if (!entry) return close();
	try {
		await keepVm(vm, { id: entry.id, name: `${entry.label}, failed: ${entry.failed.join('; ')}` });
	} catch (failure) {
		// The failed tests' reports are printed already: this is the only place left to say it.
		process.stderr.write(`vm-exec: could not keep the VM announced as ${entry.id} (${entry.label}): ${String(failure)}\n`);
		await close();
	}
}

/**
 * Close the slot's VM, or with keep: 'failed' keep it: a per-test VM whose test `failed` (that test), a
 * describe block's VM one of whose tests failed (noted by noteSharedVmFailure).
 */
export async function keepOrCloseSlot(slot: VmSlot, failed?: FailedTaskLike | false): Promise<void> {
	const vm = slot.release();
	if (!vm) return;
	if (failed) {
		if (!(await keepFailedVm(vm, failed))) await slot.dispose(vm);
	} else await closeOrKeepSharedVm(vm, () => slot.dispose(vm));
}
