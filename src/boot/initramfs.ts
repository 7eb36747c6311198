/**
 * What the guest's initramfs holds, entry by entry: static busybox and its applet links, the guest's
 * scripts (guest/init.sh as /init, the rest of guest/*.sh in /etc/vm-exec/), the kernel modules the guest
 * needs (virtio, 9p, overlay) in load order, decompressed, device nodes, the init's pipes and mount points,
 * and a copy of the host's shell with its libraries (see guest-shell.ts). Pure once the files are read.
 *
 * Which files go in and the archive's cache key: initramfs-plan.ts. Reading, packing and caching it:
 * prepare-initramfs.ts.
 */
import { GUEST_DEV_LINKS } from '../guest/dev-links.js';
import { type Arch, archSpec } from '../arch/arch.js';
import { readGuestScripts, runnerProgram } from '../guest/scripts.js';
import type { CpioEntry } from './cpio.js';
import { parseModulesDevname } from './devnames.js';

/**
 * The layout's version, part of the cache key (initramfs-plan.ts): the key covers the files that go in,
 * not this code, so a change to what the archive holds or where must bump it.
 */
export const INITRAMFS_FORMAT = 'initramfs-v7';

/** The archive's entries; pure once the file contents are read. */
export function initramfsEntries(contents: {
	/** The guest's architecture: which tty its control line is. @default 'x86_64' */
	arch?: Arch | undefined;
	/** The kernel's release: the modules get a modules.dep under lib/modules/<release>/ for busybox modprobe. */
	release?: string | undefined;
	busybox: Buffer;
	applets: readonly string[];
	modules: readonly { name: string; data: Buffer }[];
	networkModules?: readonly { name: string; data: Buffer }[];
	/** Device drivers and the coldplug's table of their modaliases (device-modules.ts). */
	deviceModules?: readonly { name: string; data: Buffer }[];
	deviceAliases?: string;
	devnames?: string;
	/** The shell that runs the guest's scripts (when no copy is carried, or to restart the runner). */
	runnerShell?: string;
	/** The host's shell, its program interpreter and libraries (by the names it loads them by). */
	shell?: { sh: Buffer; interpreter: Buffer | undefined; libraries: readonly { name: string; data: Buffer }[] } | undefined;
}): CpioEntry[] {
	const entries: CpioEntry[] = [];
	// stage/ becomes the runner's root: .root is where the guest's root is mounted after `go`, then
	// pivot_root makes it the runner's root; .vmx holds the runner's files (see guest/init.sh).
	for (const dir of [
		'bin',
		'dev',
		'etc',
		'etc/vm-exec',
		'lib',
		'lib/modules',
		'proc',
		'sys',
		'tmp',
		'stage',
		'stage/.root',
		'stage/.vmx',
		'stage/dev',
		// Mount points of the guest init's own mounts (the host's root, the writable layer), and its pipes.
		'host',
		'rw',
		'pipes',
	]) {
		entries.push({ type: 'dir', path: dir });
	}
	// The named pipes of the guest init (see guest/init.sh and root.sh): carried, they cost it no mkfifo.
	// kmsg and kmsggo carry the kernel log to the host (init.sh's kernel log block).
	for (const pipe of [
		'runs',
		'started',
		'slot1',
		'slot2',
		'slot3',
		'slot4',
		'fstab',
		'unstage',
		'handover',
		'move',
		'accounts',
		'kmsg',
		'kmsggo',
	]) {
		entries.push({ type: 'fifo', path: `pipes/${pipe}` });
	}
	entries.push({ type: 'fifo', path: 'stage/.pivot' });
	// A shell opens /dev/null for the jobs it starts in the background, also before the stage is left.
	entries.push({ type: 'chardev', path: 'stage/dev/null', major: 1, minor: 3, mode: 0o666 });
	entries.push({ type: 'chardev', path: 'dev/console', major: 5, minor: 1, mode: 0o600 });
	entries.push({ type: 'file', path: 'bin/busybox', data: contents.busybox, mode: 0o755 });
	for (const applet of contents.applets) {
		if (/^[\w.[\]-]+$/.test(applet) && applet !== 'busybox') entries.push({ type: 'symlink', path: `bin/${applet}`, target: 'busybox' });
	}
	const guest = readGuestScripts();
	entries.push({ type: 'file', path: 'init', data: Buffer.from(guest.init), mode: 0o755 });
	for (const [name, text] of Object.entries(guest.files)) {
		entries.push({ type: 'file', path: `etc/vm-exec/${name}`, data: Buffer.from(text), mode: 0o644 });
	}
	entries.push({ type: 'file', path: 'etc/vm-exec/runner', data: Buffer.from(runnerProgram(guest.files['runner.sh'] ?? '')) });
	// Written by the guest init (its text is there); carried executable so that no chmod is needed.
	entries.push({ type: 'file', path: 'bin/vmx-modprobe', data: Buffer.alloc(0), mode: 0o755 });
	for (const module of contents.modules) {
		entries.push({ type: 'file', path: `lib/modules/${module.name}`, data: module.data, mode: 0o644 });
	}
	entries.push({
		type: 'file',
		path: 'etc/vm-exec/modules',
		data: Buffer.from(contents.modules.map((module) => `${module.name}\n`).join('')),
	});
	const networkModules = contents.networkModules ?? [];
	for (const module of [...networkModules, ...(contents.deviceModules ?? [])]) {
		entries.push({ type: 'file', path: `lib/modules/${module.name}`, data: module.data, mode: 0o644 });
	}
	entries.push({ type: 'file', path: 'etc/vm-exec/driver-aliases', data: Buffer.from(contents.deviceAliases ?? '') });
	// busybox modprobe reads /lib/modules/<uname -r>/modules.dep: one for the packed files (paths relative to
	// it), so that one process loads them all. The guest init passes the names in load order, so no
	// dependencies need listing; a guest kernel of another release loads them one by one instead.
	if (contents.release && /^[\w.+-]+$/.test(contents.release) && !contents.release.startsWith('.')) {
		entries.push({ type: 'dir', path: `lib/modules/${contents.release}` });
		entries.push({
			type: 'file',
			path: `lib/modules/${contents.release}/modules.dep`,
			data: Buffer.from([...contents.modules, ...networkModules].map((module) => `../${module.name}:\n`).join('')),
		});
	}
	entries.push({ type: 'file', path: 'etc/vm-exec/shell', data: Buffer.from(`${contents.runnerShell ?? '/bin/sh'}\n`) });
	entries.push({
		type: 'file',
		path: 'etc/vm-exec/net-modules',
		data: Buffer.from(networkModules.map((module) => `${module.name}\n`).join('')),
	});
	// What the guest init copies into its /dev with one cp: the control line's name (the second serial
	// port, or the virtio console where the machine has one serial port), the pts and shm mount points,
	// and the device nodes whose first open loads their module.
	entries.push({ type: 'dir', path: 'etc/vm-exec/dev' });
	const control = archSpec(contents.arch ?? 'x86_64').control;
	entries.push({ type: 'symlink', path: 'etc/vm-exec/dev/vmx-control', target: control.kind === 'serial' ? control.device : 'hvc0' });
	entries.push({ type: 'dir', path: 'etc/vm-exec/dev/pts' });
	entries.push({ type: 'dir', path: 'etc/vm-exec/dev/shm' });
	entries.push(...GUEST_DEV_LINKS.map(([name, target]) => ({ type: 'symlink' as const, path: `etc/vm-exec/dev/${name}`, target })));
	entries.push(
		{ type: 'dir', path: 'etc/vm-exec/dev-kcore' },
		{ type: 'symlink', path: 'etc/vm-exec/dev-kcore/core', target: '/proc/kcore' },
	);
	// The kernel log's taint reader's pipe (init.sh's kernel log block): in /dev, the runner sees it in its root.
	entries.push({ type: 'fifo', path: 'etc/vm-exec/dev/vmx-taint' });
	const nodeDirs = new Set<string>(['pts', 'shm']);
	for (const node of parseModulesDevname(contents.devnames ?? '')) {
		const parts = node.name.split('/');
		for (let depth = 1; depth < parts.length; depth++) {
			const dir = parts.slice(0, depth).join('/');
			if (!nodeDirs.has(dir)) entries.push({ type: 'dir', path: `etc/vm-exec/dev/${dir}` });
			nodeDirs.add(dir);
		}
		entries.push({
			type: node.kind === 'char' ? 'chardev' : 'blockdev',
			path: `etc/vm-exec/dev/${node.name}`,
			major: node.major,
			minor: node.minor,
			mode: 0o600,
		});
	}
	if (contents.shell) {
		entries.push({ type: 'file', path: 'stage/.vmx/sh', data: contents.shell.sh, mode: 0o755 });
		if (contents.shell.interpreter) entries.push({ type: 'file', path: 'stage/.vmx/ld.so', data: contents.shell.interpreter, mode: 0o755 });
		for (const library of contents.shell.libraries) {
			if (/^[\w.+-]+$/.test(library.name))
				entries.push({ type: 'file', path: `stage/.vmx/${library.name}`, data: library.data, mode: 0o755 });
		}
		// The mount point of busybox inside the stage, for the one pivot_root that must run in it.
		entries.push({ type: 'file', path: 'stage/.vmx/busybox', data: Buffer.alloc(0), mode: 0o755 });
	}
	return entries;
}
