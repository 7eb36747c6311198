/**
 * The machinery behind a started `QemuVm` (its QEMU, control line, exchange dir), for the parts of vm-exec
 * that drive a VM from outside its class (the interactive shell, keeping a failed test's VM) without making
 * it public API: a `WeakMap`, so nothing here keeps a closed VM alive.
 */
import type { QemuVmParts } from './qemu-vm-parts.js';

export type VmInternals = QemuVmParts;

const registry = new WeakMap<object, VmInternals>();

export function registerVmInternals(vm: object, internals: VmInternals): void {
	registry.set(vm, internals);
}

/** The internals of a VM started by `startVm` (not a launcher VM), or undefined. */
export function vmInternalsOf(vm: object): VmInternals | undefined {
	return registry.get(vm);
}
