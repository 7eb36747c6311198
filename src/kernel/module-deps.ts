/**
 * Which kernel modules the guest needs, in load order, from the kernel's `modules.dep`. Pure.
 */
import type { ArchSpec } from '../arch/arch.js';

/** Modules the guest init loads when the kernel does not have them built in. */
export const GUEST_MODULES = [
	'virtio_pci', // the PCI transport of every virtio device
	'9pnet_virtio', // 9p over virtio: the host root, xchg and shared directories
	'9p',
	'overlay', // the writable tmpfs layer over the read-only host root
] as const;

/**
 * Modules the guest init loads too when the kernel has them as modules, for what a Linux system mounts
 * (configfs at /sys/kernel/config); a kernel without them simply has no such mount.
 */
export const OPTIONAL_GUEST_MODULES = ['configfs'] as const;

/** The modules the guest init loads for an arch: its virtio transport and control line, then 9p and overlay. */
export function guestModules(spec: ArchSpec): string[] {
	return [spec.transportModule, ...spec.controlModules, ...GUEST_MODULES.slice(1)];
}

/** Network card drivers: packed too, but loaded only after `go` and only when the VM has a card. */
export const NETWORK_MODULES = ['virtio_net'] as const;

/** Parse `modules.dep` into module name → { path, deps (paths) }. Names use `_` (as `modprobe` does). */
export function parseModulesDep(text: string): Map<string, { path: string; deps: string[] }> {
	const modules = new Map<string, { path: string; deps: string[] }>();
	for (const line of text.split('\n')) {
		const colon = line.indexOf(':');
		if (colon <= 0) continue;
		const modulePath = line.slice(0, colon).trim();
		const deps = line
			.slice(colon + 1)
			.trim()
			.split(/\s+/)
			.filter(Boolean);
		modules.set(moduleNameOf(modulePath), { path: modulePath, deps });
	}
	return modules;
}

/** `kernel/fs/9p/9p.ko.xz` → `9p`; dashes become underscores like the kernel does. */
export function moduleNameOf(modulePath: string): string {
	const base = modulePath.slice(modulePath.lastIndexOf('/') + 1);
	return base.replace(/\.ko(\.(xz|zst|gz))?$/, '').replaceAll('-', '_');
}

/**
 * The module files to load, dependencies first, each once. Modules missing from `modules.dep` are
 * assumed built into the kernel (listed in `builtin`) or reported in `missing`.
 */
export function resolveModuleLoadOrder(
	dep: Map<string, { path: string; deps: string[] }>,
	wanted: readonly string[],
	builtin: ReadonlySet<string> = new Set(),
): { order: string[]; missing: string[] } {
	const byPath = new Map([...dep.values()].map((entry) => [entry.path, entry]));
	const order: string[] = [];
	const seen = new Set<string>();
	const missing: string[] = [];
	const visit = (modulePath: string, trail: string[]) => {
		if (seen.has(modulePath)) return;
		if (trail.includes(modulePath)) throw new Error(`Circular module dependency: ${[...trail, modulePath].join(' → ')}`);
		const entry = byPath.get(modulePath);
		// modules.dep lists every dependency (transitively), the deepest last: visit them all first.
		for (const depPath of entry?.deps ?? []) visit(depPath, [...trail, modulePath]);
		seen.add(modulePath);
		order.push(modulePath);
	};
	for (const name of wanted) {
		const normalized = name.replaceAll('-', '_');
		const entry = dep.get(normalized);
		if (entry) visit(entry.path, []);
		else if (!builtin.has(normalized)) missing.push(name);
	}
	return { order, missing };
}

/** Parse `modules.builtin` (paths of built-in modules) into a set of names. */
export function parseModulesBuiltin(text: string): Set<string> {
	return new Set(text.split('\n').filter(Boolean).map(moduleNameOf));
}
