/**
 * The applet names a busybox binary carries, read from its bytes (a NUL-separated table that starts
 * `[`, `[[`), so that a busybox of another architecture (an arm64 one on an x86 host) needs no running. Pure.
 */

/** The applet names, in the binary's order; empty when the table is not found. */
export function readBusyboxApplets(binary: Buffer): string[] {
	const start = binary.indexOf(Buffer.from('[\0[[\0', 'latin1'));
	if (start < 0) return [];
	const names: string[] = [];
	let position = start;
	for (;;) {
		const end = binary.indexOf(0, position);
		if (end < 0) break;
		const name = binary.toString('latin1', position, end);
		if (!/^[\w.[\]-]+$/.test(name)) break;
		names.push(name);
		position = end + 1;
	}
	return names;
}
