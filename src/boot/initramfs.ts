/**
 * Build the guest's initramfs: static busybox, the guest's scripts (guest/init.sh as /init, the rest of guest/*.sh in /etc/vm-exec/),
 * the kernel modules the guest needs (virtio, 9p, overlay) in dependency order, decompressed, and a copy of
 * the host's shell with its libraries (see guest-shell.ts). Cached by content in the cache directory.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { type Arch, archSpec } from '../arch/arch.js';
import { VmBootError } from '../errors.js';
import { readGuestScripts, runnerProgram } from '../guest/scripts.js';
import { ensureDir, fileIdentity, hashKey, writeFileAtomic } from '../cache/dir.js';
import { MAX_INITRAMFS_FILES, markCacheHit, pruneCachedFiles } from '../cache/prune.js';
import { type GuestShell, guestShellIdentity, resolveGuestShell } from './guest-shell.js';
import { type CpioEntry, packCpio } from './cpio.js';
import { parseModulesDevname } from './devnames.js';
import { readModuleFile } from './module-file.js';

export { readModuleFile };
import { readBusyboxApplets } from './busybox-applets.js';
import { GUEST_DEV_LINKS } from '../guest/dev-links.js';
import {
	guestModules,
	NETWORK_MODULES,
	OPTIONAL_GUEST_MODULES,
	parseModulesBuiltin,
	parseModulesDep,
	resolveModuleLoadOrder,
} from './module-deps.js';
import { deviceModuleFiles, formatDeviceAliases, resolveDeviceAliases } from '../disks/device-modules.js';

const INITRAMFS_FORMAT = 'initramfs-v6';

export interface InitramfsInputs {
	/** The guest's architecture (which virtio transport and control modules it loads). @default 'x86_64' */
	arch?: Arch | undefined;
	busybox: string;
	modulesDir: string;
	/** The kernel's release (`uname -r` in the guest): where the packed modules.dep goes, for one modprobe of them all. */
	release?: string | undefined;
	extraModules?: readonly string[];
	/** The shell that runs the guest's scripts (its path on the host and in the guest). @default '/bin/sh' */
	runnerShell?: string;
	/** The shell file to carry for the guest's runner (default: the runner shell, when it can be; `false`: never). */
	shell?: string | false;
	/** A shell already resolved for carrying (a `root`'s static shell), used instead of `shell`. */
	carriedShell?: GuestShell | undefined;
}

export interface InitramfsPlan {
	/** Module files (relative to the modules dir), dependencies first. */
	moduleOrder: string[];
	/** Network driver files (not already in `moduleOrder`), dependencies first: loaded after `go`, when needed. */
	networkModuleOrder: string[];
	/** Device driver files (disks, RNG), loaded by the coldplug for the devices that need them (src/disks/device-modules.ts). */
	deviceModuleOrder: string[];
	/** The coldplug's table of those drivers' modaliases (`GLOB FILE…` a line). */
	deviceAliases: string;
	/** The kernel's modules.devname: device nodes whose first open loads their module. */
	devnames: string;
	/** The host's shell and libraries to carry, if it can be carried. */
	shell: GuestShell | undefined;
	/** The shell that runs the guest's scripts. */
	runnerShell: string;
	/** The kernel's release, when known. */
	release: string | undefined;
	/** Cache key over everything that goes into the archive. */
	key: string;
}

/** Load orders this process has resolved, by the identity of modules.dep and modules.builtin. */
const resolvedOrders = new Map<string, ResolvedOrders>();

interface ResolvedOrders {
	order: string[];
	networkOrder: string[];
	deviceOrder: string[];
	deviceAliases: string;
}

/**
 * The module files to pack, dependencies first. Parsing modules.dep takes a while, so the result is
 * remembered for as long as modules.dep and modules.builtin stay the same files.
 */
async function resolveModuleOrders(inputs: InitramfsInputs): Promise<ResolvedOrders> {
	const depFile = path.join(inputs.modulesDir, 'modules.dep');
	const builtinFile = path.join(inputs.modulesDir, 'modules.builtin');
	const aliasFile = path.join(inputs.modulesDir, 'modules.alias');
	const wanted = [...guestModules(archSpec(inputs.arch ?? 'x86_64')), ...OPTIONAL_GUEST_MODULES, ...(inputs.extraModules ?? [])];
	const identityOrMissing = (file: string) => fileIdentity(file).catch(() => `${file}:missing`);
	const identity = [
		await identityOrMissing(depFile),
		await identityOrMissing(builtinFile),
		await identityOrMissing(aliasFile),
		...wanted,
	].join('\0');
	const known = resolvedOrders.get(identity);
	if (known) return known;
	const depText = await readFile(depFile, 'utf8').catch((error: unknown) => {
		throw new VmBootError(
			`Cannot read ${depFile}: the modules directory does not match a kernel. Pass \`modules\` pointing at /lib/modules/<release>, or run \`depmod\`.`,
			{ cause: error },
		);
	});
	const builtinText = await readFile(builtinFile, 'utf8').catch(() => '');
	const dep = parseModulesDep(depText);
	const builtin = parseModulesBuiltin(builtinText);
	// A wanted module that is in neither list is taken to be built in (kernels without modules.builtin).
	const { order } = resolveModuleLoadOrder(dep, wanted, builtin);
	const networkOrder = resolveModuleLoadOrder(dep, NETWORK_MODULES, builtin).order.filter((file) => !order.includes(file));
	// Without modules.alias the coldplug has no table and leaves every device to modprobe, as before.
	const aliasText = await readFile(aliasFile, 'utf8').catch(() => '');
	const deviceOrder = aliasText ? deviceModuleFiles(dep, order, builtin).filter((file) => !networkOrder.includes(file)) : [];
	const deviceAliases = aliasText ? formatDeviceAliases(resolveDeviceAliases(aliasText, dep, order, builtin)) : '';
	const resolved = { order, networkOrder, deviceOrder, deviceAliases };
	resolvedOrders.set(identity, resolved);
	return resolved;
}

/** Decide the archive's contents and its cache key (cheap: stats, no module reads). */
export async function planInitramfs(inputs: InitramfsInputs): Promise<InitramfsPlan> {
	const { order, networkOrder, deviceOrder, deviceAliases } = await resolveModuleOrders(inputs);
	const stats = await Promise.all(
		[inputs.busybox, ...[...order, ...networkOrder, ...deviceOrder].map((file) => path.join(inputs.modulesDir, file))].map(fileIdentity),
	);
	const devnames = await readFile(path.join(inputs.modulesDir, 'modules.devname'), 'utf8').catch(() => '');
	const runnerShell = inputs.runnerShell ?? '/bin/sh';
	const shell = inputs.carriedShell ?? (inputs.shell === false ? undefined : await resolveGuestShell(inputs.shell ?? runnerShell));
	// A shell or library replaced since (an upgrade) is a different file: a new archive, never a stale copy.
	const shellIdentity = shell ? await guestShellIdentity(shell).catch(() => undefined) : undefined;
	const carried = shellIdentity ? shell : undefined;
	// The scripts' text is in the key: an edited init.sh, runner.sh, root.sh or network.sh is a new archive, and so (the QEMU argv
	// names the archive by this key) a new snapshot key too.
	const guest = readGuestScripts();
	return {
		moduleOrder: order,
		networkModuleOrder: networkOrder,
		deviceModuleOrder: deviceOrder,
		deviceAliases,
		devnames,
		shell: carried,
		runnerShell,
		release: inputs.release,
		key: hashKey(
			INITRAMFS_FORMAT,
			inputs.arch ?? 'x86_64',
			inputs.release ?? 'no release',
			guest.init,
			...Object.entries(guest.files).flat(),
			devnames,
			deviceAliases,
			runnerShell,
			...stats,
			...(shellIdentity ?? ['no shell']),
		),
	};
}

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
	/** Device drivers and the coldplug's table of their modaliases (src/disks/device-modules.ts). */
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
	for (const pipe of ['runs', 'started', 'slot1', 'slot2', 'slot3', 'slot4', 'fstab', 'unstage', 'handover', 'move', 'accounts']) {
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

/** The initramfs file for these inputs, built and cached on first use. */
export async function prepareInitramfs(inputs: InitramfsInputs, cacheDir: string): Promise<{ path: string; key: string }> {
	const plan = await planInitramfs(inputs);
	const file = path.join(cacheDir, `initramfs-${plan.key}.cpio`);
	if (
		await stat(file).then(
			(info) => info.isFile(),
			() => false,
		)
	) {
		markCacheHit(file);
		return { path: file, key: plan.key };
	}
	await ensureDir(cacheDir);
	const busybox = await readFile(inputs.busybox);
	// Read from the binary (it may be of another arch than the host's); `--list` for a busybox built without the table.
	const parsed = readBusyboxApplets(busybox);
	const applets = parsed.length >= 20 ? parsed : (await execa(inputs.busybox, ['--list'])).stdout.split('\n').filter(Boolean);
	const readModules = (order: readonly string[]) =>
		Promise.all(
			order.map(async (relative) => ({
				name: path.basename(relative).replace(/\.(xz|zst|gz)$/, ''),
				data: await readModuleFile(path.join(inputs.modulesDir, relative)),
			})),
		);
	const [modules, networkModules, deviceModules, shell] = await Promise.all([
		readModules(plan.moduleOrder),
		readModules(plan.networkModuleOrder),
		readModules(plan.deviceModuleOrder),
		readGuestShell(plan.shell),
	]);
	// Uncompressed on purpose: unpacking a compressed initramfs costs boot time under software emulation.
	await writeFileAtomic(
		file,
		packCpio(
			initramfsEntries({
				arch: inputs.arch,
				release: plan.release,
				busybox,
				applets,
				modules,
				networkModules,
				deviceModules,
				deviceAliases: plan.deviceAliases,
				devnames: plan.devnames,
				runnerShell: plan.runnerShell,
				shell,
			}),
		),
	);
	await pruneCachedFiles(cacheDir, { prefix: 'initramfs-', suffix: '.cpio', keep: path.basename(file), max: MAX_INITRAMFS_FILES });
	return { path: file, key: plan.key };
}

async function readGuestShell(shell: GuestShell | undefined) {
	if (!shell) return undefined;
	const [sh, interpreter, libraries] = await Promise.all([
		readFile(shell.shell),
		shell.interpreter ? readFile(shell.interpreter) : undefined,
		Promise.all(shell.libraries.map(async ({ name, file }) => ({ name, data: await readFile(file) }))),
	]);
	return { sh, interpreter, libraries };
}
