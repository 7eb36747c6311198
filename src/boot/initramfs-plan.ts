/**
 * What goes into the guest's initramfs, decided before anything is read: the kernel modules in load order
 * (from modules.dep, modules.builtin and modules.alias), the device nodes, the shell to carry, and the
 * archive's cache key over all of it. Cheap: stats, no module reads.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Arch, archSpec } from '../arch/arch.js';
import { VmBootError } from '../errors.js';
import { readGuestScripts } from '../guest/scripts.js';
import { fileIdentity, hashKey } from '../cache/dir.js';
import {
	guestModules,
	NETWORK_MODULES,
	OPTIONAL_GUEST_MODULES,
	parseModulesBuiltin,
	parseModulesDep,
	resolveModuleLoadOrder,
} from '../kernel/module-deps.js';
import { type GuestShell, guestShellIdentity, resolveGuestShell } from './guest-shell.js';
import { deviceModuleFiles, formatDeviceAliases, resolveDeviceAliases } from './device-modules.js';
import { INITRAMFS_FORMAT } from './initramfs.js';

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
	/** Device driver files (disks, RNG), loaded by the coldplug for the devices that need them (device-modules.ts). */
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
