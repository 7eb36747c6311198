/**
 * QEMU's option syntax (`key=value,key=value`), shared by every part of vm-exec that writes QEMU
 * arguments (the main argv, the disks', the network's): a file of its own so none of them imports another.
 */

/** QEMU's option syntax splits on commas; a literal comma in a value is written twice. */
export function escapeOptionValue(value: string): string {
	return value.replaceAll(',', ',,');
}
