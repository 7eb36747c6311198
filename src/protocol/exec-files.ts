/**
 * What the host writes into the exchange dir for one exec, as pure functions: the wrapper `<id>.sh` that
 * the guest's runner sources in the guest's root, and the boot settings file. Every user string is
 * single-quoted for the guest's shell; none ever reaches a host shell.
 */

/** Quote a string for a POSIX shell: 'it'\''s'. */
export function shellQuote(value: string): string {
	return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The environment every exec starts from (the guest does not inherit the host's environment). */
export const BASE_GUEST_ENV: Readonly<Record<string, string>> = {
	PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
	HOME: '/root',
	USER: 'root',
	LOGNAME: 'root',
	SHELL: '/bin/sh',
	TERM: 'dumb',
	LANG: 'C.UTF-8',
};

/** The guest path of the exchange directory (the host's xchg dir is mounted there). */
export const GUEST_XCHG = '/run/vm-exec/xchg';

/**
 * The names of one exec's files in the exchange dir. They lie in the dir itself rather than in one dir per
 * exec: every path lookup over 9p is a round trip (~0.6 ms under emulation), and a dir of its own cost
 * three more per exec. The host creates `out` and `err` empty before the run, so that the guest opens them
 * instead of creating them (a creation costs one more round trip each).
 */
export function execFileNames(id: string) {
	return { run: `${id}.sh`, script: `${id}.script`, stdin: `${id}.in`, stdout: `${id}.out`, stderr: `${id}.err` } as const;
}

export interface RunScriptInput {
	id: string;
	cwd: string;
	env: Readonly<Record<string, string>>;
	hasInput: boolean;
	/** The user's script. One starting with `#!` is written to its own file and executed (the kernel honours the line). */
	script: string;
}

/** Whether a script names its interpreter (`#!`): it is then executed rather than sourced. */
export function hasShebang(script: string): boolean {
	return script.startsWith('#!');
}

/**
 * The file the guest's runner sources, in a fresh subshell, for one exec: stdio to the exchange files,
 * the environment, the working directory, then the script itself. The set-up is all on the first line,
 * in front of the script's own first line, so that the shell's line numbers (in `$LINENO` and in its
 * error messages) are the script's own. The script is part of the file rather than sourced from a
 * second one: under software emulation each file read over 9p costs milliseconds. A `#!` script is
 * executed instead, so its interpreter runs it.
 */
export function buildRunScript(input: RunScriptInput): string {
	const files = execFileNames(input.id);
	const at = (name: string) => `${GUEST_XCHG}/${name}`;
	const env = { ...BASE_GUEST_ENV, ...input.env };
	const setup = [
		// The runner's own variables, function and arguments are not the script's.
		'unset vmx_id vmx_slot vmx_out vmx_status',
		'unset -f vmx_slot_loop',
		'set --',
		// Appended to, not truncated: the host created them empty, and truncating a file over 9p costs two
		// more round trips (a setattr and, for the file's capabilities, an xattr lookup).
		`exec <${input.hasInput ? at(files.stdin) : '/dev/null'} >>${at(files.stdout)} 2>>${at(files.stderr)}`,
		...Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(value)}`),
		`cd ${shellQuote(input.cwd)} || { echo "vm-exec: cannot change to the working directory "${shellQuote(input.cwd)}" in the guest" >&2; exit 1; }`,
	].join('; ');
	if (hasShebang(input.script)) return `${setup}; exec ${at(files.script)}\n`;
	// A last newline spares the shell one more read of the file (over 9p) before it runs the last line.
	return `${setup}; ${input.script}${input.script.endsWith('\n') ? '' : '\n'}`;
}

export interface BootSettings {
	hostname: string;
	shared: boolean;
	/** Host paths the guest's own /tmp or /run would hide, to be overlaid back into view. */
	expose: readonly string[];
	/** A modules directory to bind at /lib/modules/$(uname -r), when it is not already there. */
	modulesDir: string | undefined;
	/** The kernel's modules come as the `modules` share (a `root` without them), mounted at /lib/modules/$(uname -r). */
	modulesShare?: boolean | undefined;
	/** The VM's network cards and how to configure them; absent when it has none (only loopback). */
	network?: GuestNetworkSettings | undefined;
	/** The VM has devices beyond the base machine (`qemuArgs`, `disks`): the guest looks for their drivers. */
	extraDevices?: boolean;
	/** qemuArgs may attach IDE drives: the coldplug then loads the PIIX IDE driver too. */
	ideDrives?: boolean;
}

/** Per-VM network settings, applied by the guest after `go` (never on the kernel command line: snapshots). */
export interface GuestNetworkSettings {
	/** MAC of the user-mode (NAT) card the guest configures as 10.0.2.15/24 via 10.0.2.2, if any. */
	natNic: string | undefined;
	/** The host's names, resolved to 10.0.2.2 in the guest's /etc/hosts (with a NAT card). */
	hostNames: readonly string[];
	/** MAC of the LAN card as QEMU created it, if any. */
	lanNic: string | undefined;
	/** The MAC the guest gives its LAN card (unique on the LAN). */
	lanMac: string | undefined;
	/** The guest's LAN address with prefix, e.g. `10.0.3.1/24`. */
	lanAddress: string | undefined;
}

/**
 * Paths under these guest-private mounts are hidden in the guest unless exposed: the guest's own /tmp, /run,
 * /dev, /proc, /sys, and its fresh /root and /var/cache/ldconfig (guest/fresh-paths.ts).
 */
const GUEST_PRIVATE_DIRS = ['/tmp', '/run', '/dev/shm', '/proc', '/sys', '/dev', '/root', '/var/cache/ldconfig'];

export function isHiddenInGuest(hostPath: string): boolean {
	return GUEST_PRIVATE_DIRS.some((dir) => hostPath === dir || hostPath.startsWith(`${dir}/`));
}

export function buildBootEnv(settings: BootSettings): string {
	const expose = settings.expose.filter((p) => !/[\s'"\\$`]/.test(p));
	return [
		`VMX_HOSTNAME=${shellQuote(settings.hostname)}`,
		`VMX_SHARED=${settings.shared ? 1 : 0}`,
		`VMX_EXPOSE=${shellQuote(expose.join(' '))}`,
		`VMX_MODULES=${shellQuote(settings.modulesDir ?? '')}`,
		// The VM has devices beyond the base machine (qemuArgs, disks): the guest coldplugs and listens for more.
		...(settings.extraDevices ? ['VMX_DEVICES=1'] : []),
		...(settings.extraDevices && settings.ideDrives ? ['VMX_IDE=1'] : []),
		...(settings.modulesShare ? ['VMX_MODULES_SHARE=1'] : []),
		// Unset network variables mean "no card": the guest then keeps only loopback.
		...(settings.network
			? [
					`VMX_NAT_NIC=${shellQuote(settings.network.natNic ?? '')}`,
					`VMX_HOST_NAMES=${shellQuote(settings.network.hostNames.join(' '))}`,
					`VMX_LAN_NIC=${shellQuote(settings.network.lanNic ?? '')}`,
					`VMX_LAN_MAC=${shellQuote(settings.network.lanMac ?? '')}`,
					`VMX_LAN_ADDR=${shellQuote(settings.network.lanAddress ?? '')}`,
				]
			: []),
		'',
	].join('\n');
}
