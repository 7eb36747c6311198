/**
 * Build the guest's initramfs: static busybox, the guest's scripts (guest/init.sh as /init, the rest of guest/*.sh in /etc/vm-exec/),
 * the kernel modules the guest needs (virtio, 9p, overlay) in dependency order, decompressed, and a copy of
 * the host's shell with its libraries (see guest-shell.ts). Cached by content in the cache directory.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { execa } from 'execa';
import { VmBootError } from '../errors.js';
import { readGuestScripts } from '../guest/scripts.js';
import { ensureDir, fileIdentity, hashKey, writeFileAtomic } from '../cache/dir.js';
import { MAX_INITRAMFS_FILES, markCacheHit, pruneCachedFiles } from '../cache/prune.js';
import { type GuestShell, guestShellIdentity, resolveGuestShell } from './guest-shell.js';
import { type CpioEntry, packCpio } from './cpio.js';
import { parseModulesDevname } from './devnames.js';
import { GUEST_MODULES, NETWORK_MODULES, parseModulesBuiltin, parseModulesDep, resolveModuleLoadOrder } from './module-deps.js';

const INITRAMFS_FORMAT = 'initramfs-v5';

export interface InitramfsInputs {
	busybox: string;
	modulesDir: string;
	extraModules?: readonly string[];
	/** The shell that runs the guest's scripts (its path on the host and in the guest). @default '/bin/sh' */
	runnerShell?: string;
	/** The shell file to carry for the guest's runner (default: the runner shell, when it can be; `false`: never). */
	shell?: string | false;
}

/** Decompress a module file's bytes according to its name (`.ko.xz`, `.ko.zst`, `.ko.gz`). */
export async function readModuleFile(file: string): Promise<Buffer> {
	const data = await readFile(file);
	const tool = file.endsWith('.xz') ? ['xz', '-dc'] : file.endsWith('.zst') ? ['zstd', '-dcq'] : undefined;
	if (file.endsWith('.gz')) return gunzipSync(data);
	if (!tool) return data;
	const [command, ...args] = tool as [string, ...string[]];
	try {
		return Buffer.from((await execa(command, args, { input: data, encoding: 'buffer', stripFinalNewline: false })).stdout);
	} catch (error) {
		throw new VmBootError(
			`Cannot decompress the kernel module ${file} with \`${command}\`. Install it (\`sudo apt-get install ${command === 'xz' ? 'xz-utils' : 'zstd'}\`).`,
			{ cause: error },
		);
	}
}

export interface InitramfsPlan {
	/** Module files (relative to the modules dir), dependencies first. */
	moduleOrder: string[];
	/** Network driver files (not already in `moduleOrder`), dependencies first: loaded after `go`, when needed. */
	networkModuleOrder: string[];
	/** The kernel's modules.devname: device nodes whose first open loads their module. */
	devnames: string;
	/** The host's shell and libraries to carry, if it can be carried. */
	shell: GuestShell | undefined;
	/** The shell that runs the guest's scripts. */
	runnerShell: string;
	/** Cache key over everything that goes into the archive. */
	key: string;
}

/** Load orders this process has resolved, by the identity of modules.dep and modules.builtin. */
const resolvedOrders = new Map<string, { order: string[]; networkOrder: string[] }>();

/**
 * The module files to pack, dependencies first. Parsing modules.dep takes a while, so the result is
 * remembered for as long as modules.dep and modules.builtin stay the same files.
 */
async function resolveModuleOrders(inputs: InitramfsInputs): Promise<{ order: string[]; networkOrder: string[] }> {
	const depFile = path.join(inputs.modulesDir, 'modules.dep');
	const builtinFile = path.join(inputs.modulesDir, 'modules.builtin');
	const wanted = [...GUEST_MODULES, ...(inputs.extraModules ?? [])];
	const identityOrMissing = (file: string) => fileIdentity(file).catch(() => `${file}:missing`);
	const identity = [await identityOrMissing(depFile), await identityOrMissing(builtinFile), ...wanted].join('\0');
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
	const resolved = { order, networkOrder };
	resolvedOrders.set(identity, resolved);
	return resolved;
}

/** Decide the archive's contents and its cache key (cheap: stats, no module reads). */
export async function planInitramfs(inputs: InitramfsInputs): Promise<InitramfsPlan> {
	const { order, networkOrder } = await resolveModuleOrders(inputs);
	const stats = await Promise.all(
		[inputs.busybox, ...[...order, ...networkOrder].map((file) => path.join(inputs.modulesDir, file))].map(fileIdentity),
	);
	const devnames = await readFile(path.join(inputs.modulesDir, 'modules.devname'), 'utf8').catch(() => '');
	const runnerShell = inputs.runnerShell ?? '/bin/sh';
	const shell = inputs.shell === false ? undefined : await resolveGuestShell(inputs.shell ?? runnerShell);
	// A shell or library replaced since (an upgrade) is a different file: a new archive, never a stale copy.
	const shellIdentity = shell ? await guestShellIdentity(shell).catch(() => undefined) : undefined;
	const carried = shellIdentity ? shell : undefined;
	// The scripts' text is in the key: an edited init.sh, runner.sh, root.sh or network.sh is a new archive, and so (the QEMU argv
	// names the archive by this key) a new snapshot key too.
	const guest = readGuestScripts();
	return {
		moduleOrder: order,
		networkModuleOrder: networkOrder,
		devnames,
		shell: carried,
		runnerShell,
		key: hashKey(
			INITRAMFS_FORMAT,
			guest.init,
			...Object.entries(guest.files).flat(),
			devnames,
			runnerShell,
			...stats,
			...(shellIdentity ?? ['no shell']),
		),
	};
}

/** The archive's entries; pure once the file contents are read. */
export function initramfsEntries(contents: {
	busybox: Buffer;
	applets: readonly string[];
	modules: readonly { name: string; data: Buffer }[];
	networkModules?: readonly { name: string; data: Buffer }[];
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
	]) {
		entries.push({ type: 'dir', path: dir });
	}
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
	for (const module of contents.modules) {
		entries.push({ type: 'file', path: `lib/modules/${module.name}`, data: module.data, mode: 0o644 });
	}
	entries.push({
		type: 'file',
		path: 'etc/vm-exec/modules',
		data: Buffer.from(contents.modules.map((module) => `${module.name}\n`).join('')),
	});
	const networkModules = contents.networkModules ?? [];
	for (const module of networkModules) {
		entries.push({ type: 'file', path: `lib/modules/${module.name}`, data: module.data, mode: 0o644 });
	}
	entries.push({ type: 'file', path: 'etc/vm-exec/shell', data: Buffer.from(`${contents.runnerShell ?? '/bin/sh'}\n`) });
	entries.push({
		type: 'file',
		path: 'etc/vm-exec/net-modules',
		data: Buffer.from(networkModules.map((module) => `${module.name}\n`).join('')),
	});
	// Device nodes whose first open loads their module, ready to be copied into the guest's /dev.
	entries.push({ type: 'dir', path: 'etc/vm-exec/dev' });
	const nodeDirs = new Set<string>();
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
	const applets = (await execa(inputs.busybox, ['--list'])).stdout.split('\n').filter(Boolean);
	const readModules = (order: readonly string[]) =>
		Promise.all(
			order.map(async (relative) => ({
				name: path.basename(relative).replace(/\.(xz|zst|gz)$/, ''),
				data: await readModuleFile(path.join(inputs.modulesDir, relative)),
			})),
		);
	const [modules, networkModules, shell] = await Promise.all([
		readModules(plan.moduleOrder),
		readModules(plan.networkModuleOrder),
		readGuestShell(plan.shell),
	]);
	// Uncompressed on purpose: unpacking a compressed initramfs costs boot time under software emulation.
	await writeFileAtomic(
		file,
		packCpio(
			initramfsEntries({ busybox, applets, modules, networkModules, devnames: plan.devnames, runnerShell: plan.runnerShell, shell }),
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
