/**
 * The cache key of a VM snapshot, as pure functions.
 *
 * A saved VM state can only be loaded by a QEMU started with the same binary, machine, memory, CPUs,
 * accelerator, firmware, kernel, initramfs and device set, in the same order. Rather than listing those
 * settings (and forgetting the next device someone adds), the key is a hash of the QEMU argv itself,
 * with what legitimately differs per VM (the workspace's sockets and exchange dir, the shared dir)
 * replaced by placeholders. Files named in the argv whose content can change under the same path
 * (the QEMU binary, the firmware, a kernel image booted as is) add their identity separately.
 */
import { hashKey } from '../cache/dir.js';
import { escapeOptionValue } from '../qemu/argv/option-syntax.js';

/** Bump when the snapshot file layout or the boot protocol at the snapshot point changes. */
export const SNAPSHOT_FORMAT = 'snapshot-v2';

export interface SnapshotKeyInput {
	/** The QEMU arguments (without the binary and without `-incoming`), as built for this VM. */
	qemuArgs: readonly string[];
	/** Paths that differ for every VM (workspace dir, shared dir): normalized away. */
	perVmPaths: readonly string[];
	/** The QEMU binary's path, version and file identity (size, mtime), so an upgrade invalidates. */
	qemu: { path: string; version: string; identity: string };
	/** The boot kernel's content key (covers a kernel replaced under the same path). */
	kernelKey: string;
	/** Identity of other files named in the argv whose content matters (firmware, initramfs). */
	fileIdentities: readonly string[];
}

/**
 * Replace every per-VM path in the argv with a placeholder, in its raw form and in the comma-doubled
 * form QEMU option values use. Longest paths first, so a path nested in another is not half-replaced.
 */
export function normalizeQemuArgs(qemuArgs: readonly string[], perVmPaths: readonly string[]): string[] {
	const paths = [...new Set(perVmPaths.filter((p) => p.length > 0))].sort((a, b) => b.length - a.length);
	return qemuArgs.map((arg) => {
		let normalized = arg;
		paths.forEach((p, index) => {
			const placeholder = `<per-vm-${index}>`;
			normalized = normalized.replaceAll(escapeOptionValue(p), placeholder).replaceAll(p, placeholder);
		});
		return normalized;
	});
}

/** Remove `-incoming <uri>` (a restored VM's argv must yield the same key as the one that saved it). */
export function withoutIncoming(qemuArgs: readonly string[]): string[] {
	const result: string[] = [];
	for (let index = 0; index < qemuArgs.length; index++) {
		if (qemuArgs[index] === '-incoming') {
			index++;
			continue;
		}
		result.push(qemuArgs[index]!);
	}
	return result;
}

export function computeSnapshotKey(input: SnapshotKeyInput): string {
	return hashKey(
		SNAPSHOT_FORMAT,
		input.qemu.path,
		input.qemu.version,
		input.qemu.identity,
		input.kernelKey,
		...input.fileIdentities,
		JSON.stringify(normalizeQemuArgs(withoutIncoming(input.qemuArgs), input.perVmPaths)),
	);
}
