/**
 * Device drivers the initramfs carries, so that the coldplug loads them with busybox's `insmod` instead
 * of the host's `modprobe`: that one runs in the guest's root over 9p, and a first run in a VM (libcrypto,
 * libkmod and the module indexes read over 9p) cost 0.4–0.65 s of a disk VM's ~0.9 s coldplug.
 * Pure: the initramfs's plan (initramfs-plan.ts) picks the files, its packing (prepare-initramfs.ts) reads
 * them, the guest (coldplug.sh) reads the table.
 */
import { moduleNameOf, resolveModuleLoadOrder } from '../kernel/module-deps.js';

/**
 * The drivers of the devices vm-exec itself adds (`disks`: virtio-blk) and of the cheapest common ones
 * (virtio-rng): small, and depending on nothing beyond the virtio core the init already loads. NVMe is
 * left to modprobe: it pulls in six modules and the CRC-T10DIF crypto, which asks modprobe for more.
 */
export const DEVICE_MODULES = ['virtio_blk', 'virtio_rng'] as const;

/** One line of the guest's table: a modalias glob, then the module files to insmod for it, dependencies first. */
export interface DeviceAlias {
	glob: string;
	files: string[];
}

/**
 * The aliases of `DEVICE_MODULES` from the kernel's `modules.alias`, each with the files to load (those not
 * loaded at boot already, i.e. not in `loadedAtBoot`), by their packed names (basename without compression).
 */
export function resolveDeviceAliases(
	aliasText: string,
	dep: Map<string, { path: string; deps: string[] }>,
	loadedAtBoot: readonly string[],
	builtin: ReadonlySet<string> = new Set(),
): DeviceAlias[] {
	const aliases: DeviceAlias[] = [];
	for (const name of DEVICE_MODULES) {
		const { order } = resolveModuleLoadOrder(dep, [name], builtin);
		const files = order.filter((file) => !loadedAtBoot.includes(file)).map(packedModuleName);
		// Built in (or absent): the kernel binds it by itself, or modprobe reports it.
		if (files.length === 0) continue;
		for (const line of aliasText.split('\n')) {
			const [word, glob, module] = line.trim().split(/\s+/);
			// A glob with shell quoting characters could not be used as a `case` pattern: none has them today.
			if (word === 'alias' && module !== undefined && moduleNameOf(module) === name && glob && /^[\w:*?.-]+$/.test(glob)) {
				aliases.push({ glob, files });
			}
		}
	}
	return aliases;
}

/** The module files the device aliases need (each once), as paths relative to the modules dir. */
export function deviceModuleFiles(
	dep: Map<string, { path: string; deps: string[] }>,
	loadedAtBoot: readonly string[],
	builtin: ReadonlySet<string> = new Set(),
): string[] {
	return resolveModuleLoadOrder(dep, DEVICE_MODULES, builtin).order.filter((file) => !loadedAtBoot.includes(file));
}

/** `kernel/drivers/char/hw_random/virtio-rng.ko.xz` → `virtio-rng.ko`: the name the initramfs packs it by. */
export function packedModuleName(file: string): string {
	return file.slice(file.lastIndexOf('/') + 1).replace(/\.(xz|zst|gz)$/, '');
}

/** The table coldplug.sh reads (/etc/vm-exec/driver-aliases): `GLOB FILE…` a line. */
export function formatDeviceAliases(aliases: readonly DeviceAlias[]): string {
	return aliases.map(({ glob, files }) => `${glob} ${files.join(' ')}\n`).join('');
}
