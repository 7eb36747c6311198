/**
 * The kernel's modules.devname, as a pure parser: device nodes whose first open loads their module
 * (/dev/loop-control, /dev/net/tun, /dev/fuse, …), which systemd creates at boot on a real system. The
 * initramfs carries them ready-made, so the guest copies them into /dev with one command instead of a
 * shell loop over the file (a process per node under emulation).
 */
export interface DevnameNode {
	module: string;
	/** Path under /dev, e.g. `net/tun`. */
	name: string;
	kind: 'char' | 'block';
	major: number;
	minor: number;
}

/** Lines look like `tun net/tun c10:200`; comments, blank lines and anything unsafe are skipped. */
export function parseModulesDevname(text: string): DevnameNode[] {
	const nodes: DevnameNode[] = [];
	for (const line of text.split('\n')) {
		const match = /^(\S+)\s+(\S+)\s+([cb])(\d+):(\d+)\s*$/.exec(line.trim());
		if (!match || line.trim().startsWith('#')) continue;
		const [, module, name, kind, major, minor] = match as unknown as [string, string, string, 'c' | 'b', string, string];
		if (!/^[\w.+-]+(?:\/[\w.+-]+)*$/.test(name) || name.split('/').includes('..')) continue;
		nodes.push({ module, name, kind: kind === 'c' ? 'char' : 'block', major: Number(major), minor: Number(minor) });
	}
	return nodes;
}
