import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { startVm, type Vm } from '../../src/index.js';
import { isProcessAlive } from '../../src/lifecycle/process-alive.js';

export { isProcessAlive };

/** The private workspace directory of a VM (where its sockets and exchange dir live). */
export function workspaceOf(vm: Vm): string {
	const chardev = vm.qemuArgv.find((arg) => arg.startsWith('socket,id=control,path='));
	if (!chardev) throw new Error('no control socket in the QEMU argv');
	return path.dirname(chardev.slice('socket,id=control,path='.length));
}

/** Asserts that nothing of the VM is left on the host. */
export function leftovers(vm: Vm): string[] {
	const left: string[] = [];
	if (isProcessAlive(vm.pid)) left.push(`QEMU process ${vm.pid}`);
	const workspace = workspaceOf(vm);
	if (existsSync(workspace)) left.push(`workspace ${workspace}`);
	return left;
}

/**
 * `startVm` for tests that close their VM themselves: an `afterEach` closes whatever a failed assertion
 * left open (close is idempotent), so a failing test never leaks QEMU or temp dirs.
 */
export function startVmClosedAfterEach(): typeof startVm {
	const started: Vm[] = [];
	afterEach(async () => {
		await Promise.all(started.splice(0).map((vm) => vm.close().catch(() => {})));
	});
	return async (options) => {
		const vm = await startVm(options);
		started.push(vm);
		return vm;
	};
}
