/**
 * The one options gate: every public option is documented, defaulted and validated here.
 * Bad values throw `TypeError: Expected the `x` option to be …, got `y``.
 */
import path from 'node:path';
import { parseLanAddress } from './network/address.js';

export type Accel = 'auto' | 'kvm' | 'tcg';

/** Options of `startVm()` and `runInVm()`. */
export interface VmOptions {
	/**
	 * Kernel image to boot (a `vmlinuz`/bzImage or an ELF `vmlinux`).
	 * @default `$VM_EXEC_KERNEL`, `/boot/vmlinuz-$(uname -r)`, NixOS's `/run/booted-system/kernel`, then the newest `/boot/vmlinuz-*` whose modules are installed
	 */
	kernel?: string;
	/**
	 * The kernel's modules directory (the one holding `modules.dep`).
	 * @default `/lib/modules/<the kernel's release>` (or `$VM_EXEC_MODULES`)
	 */
	modules?: string;
	/**
	 * The shell that runs scripts in the guest: an absolute path on the host (the guest sees the host's
	 * files), e.g. `'/bin/bash'`. A resident instance of it sources each script, so its features and
	 * error messages are the ones scripts see; a script with a `#!` line is executed instead.
	 * @default '/bin/sh'
	 */
	shell?: string;
	/**
	 * Guest memory: a number of MiB or a string like `'512M'` / `'1G'`.
	 * @default '256M'
	 */
	memory?: number | string;
	/**
	 * Number of virtual CPUs.
	 * @default 1
	 */
	cpus?: number;
	/**
	 * Accelerator. `'auto'` uses KVM only when a probe VM boots with it in time (the verdict is cached), else TCG.
	 * @default 'auto'
	 */
	accel?: Accel;
	/**
	 * A host directory mounted read-write at `/tmp/shared` in the guest. `true` creates a fresh temporary
	 * directory (removed on close), exposed as `vm.sharedDir`.
	 * @default false
	 */
	shared?: string | boolean;
	/**
	 * Extra QEMU arguments, appended verbatim to the command line.
	 * @default []
	 */
	qemuArgs?: readonly string[];
	/**
	 * Environment variables for every exec (an exec's own `env` is merged over it).
	 * @default {}
	 */
	env?: Readonly<Record<string, string>>;
	/**
	 * Default working directory of every exec, a host path (visible in the guest at the same path).
	 * @default process.cwd()
	 */
	cwd?: string;
	/**
	 * How long the boot may take before it fails with a `VmBootError`, in milliseconds.
	 * @default 60000
	 */
	bootTimeout?: number;
	/**
	 * `'capture'` keeps the guest console in `vm.consoleLog`; `'inherit'` also prints it live on stderr.
	 * @default 'capture'
	 */
	console?: 'capture' | 'inherit';
	/**
	 * Directory for cached artifacts (extracted vmlinux, initramfs, accelerator verdict).
	 * @default `$VM_EXEC_CACHE`, else `$XDG_CACHE_HOME/vm-exec`, else `~/.cache/vm-exec`
	 */
	cacheDir?: string;
	/**
	 * `'auto'` starts the VM from a saved snapshot of its configuration (a fraction of a cold boot); the first
	 * VM of a configuration boots cold and saves it in `cacheDir`. `false` always boots cold.
	 * @default 'auto', but `false` with `console: 'inherit'` (a VM from a snapshot has no boot to show)
	 */
	snapshot?: 'auto' | false;
	/** Called with a one-line message before slow one-time work (creating a snapshot), e.g. to print it. */
	onProgress?: (message: string) => void;
	/**
	 * QEMU binary.
	 * @default `$VM_EXEC_QEMU`, else `qemu-system-x86_64` from `PATH`
	 */
	qemu?: string;
	/** Aborts the boot. */
	signal?: AbortSignal;
	/**
	 * Attach a user-mode (NAT) network card, configured as the seed does it: eth0 10.0.2.15/24, default
	 * route via 10.0.2.2 (the host's loopback, as seen from the guest), the host's name → 10.0.2.2 in
	 * `/etc/hosts`, DNS 10.0.2.3. Needed by `vm.forwardPort()`. Without it the guest has only loopback.
	 * @default false
	 */
	network?: boolean;
	/**
	 * Put the VM on a private Ethernet segment shared by every VM started with the same LAN name in this
	 * process. A name gets the next free address (10.0.3.1, 10.0.3.2, … in `startVm` call order);
	 * `{ name, address }` asks for one (`'10.0.3.9'` or `'192.168.7.2/24'`). Read it from `vm.lanAddress`.
	 * @default undefined (no LAN)
	 */
	lan?: string | { name: string; address?: string };
	/**
	 * Drive an external launcher with the seed's interface (`launcher [--quiet] [--shared=DIR] "script" [-- qemu args]`,
	 * e.g. the NixOS module's `…config.system.build.vmExec`) instead of booting QEMU here: each `exec` is one launcher
	 * run, whose output and exit status become the result. Cannot be combined with `kernel`, `modules`, `memory`,
	 * `cpus`, `accel` or `qemu` (the launcher decides those; pass QEMU flags through `qemuArgs`).
	 * @default undefined (vm-exec boots its own VM)
	 */
	launcher?: readonly string[];
	/**
	 * Start QEMU's gdb stub (on a unix socket in the VM's private dir) and boot with `nokaslr`, so that a
	 * debugger can attach to the guest kernel: `vm.gdb` says how (`gdb -ex 'target remote …' vmlinux`).
	 * @default false
	 */
	gdb?: boolean;
	/**
	 * `'failed'`: the test fixtures (`vm-exec/vitest`'s `vm`) keep the VM of a failed test running instead
	 * of closing it, and the failure report ends with `vm-exec attach <id>`, which opens a shell in it.
	 * A kept VM stops after `keepLimit`, or with `vm-exec kill <id>`.
	 * @default `'failed'` when `VM_EXEC_KEEP=failed`, else `false`
	 */
	keep?: 'failed' | false;
	/**
	 * How long a kept VM stays, in milliseconds (also when the test runner is gone or was killed).
	 * @default `$VM_EXEC_KEEP_LIMIT` (seconds), else 1800000 (30 min)
	 */
	keepLimit?: number;
}

/** Options of `vm.exec()`. */
export interface ExecOptions<Encoding extends 'utf8' | 'buffer' = 'utf8' | 'buffer'> {
	/** Environment variables for this exec, merged over the VM's `env`. */
	env?: Readonly<Record<string, string>>;
	/** Working directory in the guest. @default the VM's `cwd` */
	cwd?: string;
	/** Kill the command (its whole process tree) after this many milliseconds. @default 0 (no timeout) */
	timeout?: number;
	/** Fed to the script's standard input. @default no input (`/dev/null`) */
	input?: string | Uint8Array;
	/** Aborting it kills the command's process tree. */
	signal?: AbortSignal;
	/** `'buffer'` returns `stdout`/`stderr` as Buffers. @default 'utf8' */
	encoding?: Encoding;
	/** Called with each chunk of stdout while the command runs. */
	onStdout?: (chunk: Buffer) => void;
	/** Called with each chunk of stderr while the command runs. */
	onStderr?: (chunk: Buffer) => void;
	/**
	 * Run the script as this guest user (a name or a uid) instead of root: its uid, gid, supplementary
	 * groups, `HOME`, `USER` and `LOGNAME`. An unknown user rejects with a `VmUnknownUserError`.
	 * @default root
	 */
	user?: string | number;
}

export interface NormalizedVmOptions {
	kernel: string | undefined;
	modules: string | undefined;
	memoryMiB: number;
	cpus: number;
	accel: Accel;
	shared: string | boolean;
	qemuArgs: string[];
	env: Record<string, string>;
	cwd: string;
	shell: string;
	bootTimeout: number;
	console: 'capture' | 'inherit';
	cacheDir: string | undefined;
	snapshot: 'auto' | false;
	onProgress: ((message: string) => void) | undefined;
	qemu: string | undefined;
	signal: AbortSignal | undefined;
	launcher: string[] | undefined;
	network: boolean;
	lan: { name: string; address: string | undefined } | undefined;
	gdb: boolean;
	keep: 'failed' | false;
	keepLimit: number;
}

export interface NormalizedExecOptions {
	env: Record<string, string>;
	cwd: string | undefined;
	timeout: number;
	input: Buffer | undefined;
	signal: AbortSignal | undefined;
	encoding: 'utf8' | 'buffer';
	onStdout: ((chunk: Buffer) => void) | undefined;
	onStderr: ((chunk: Buffer) => void) | undefined;
	/** The `user` option as a string (a name or a uid), or undefined for root. */
	user: string | undefined;
}

const VM_OPTION_NAMES = new Set([
	'kernel',
	'modules',
	'memory',
	'cpus',
	'accel',
	'shared',
	'qemuArgs',
	'env',
	'cwd',
	'shell',
	'bootTimeout',
	'console',
	'cacheDir',
	'qemu',
	'signal',
	'launcher',
	'network',
	'lan',
	'snapshot',
	'onProgress',
	'gdb',
	'keep',
	'keepLimit',
]);
const EXEC_OPTION_NAMES = new Set(['env', 'cwd', 'timeout', 'input', 'signal', 'encoding', 'onStdout', 'onStderr', 'user']);

export function describeValue(value: unknown): string {
	if (typeof value === 'string') return `\`${JSON.stringify(value)}\``;
	if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return `\`${String(value)}\``;
	if (Array.isArray(value)) return 'an array';
	if (typeof value === 'function') return 'a function';
	return `\`${Object.prototype.toString.call(value)}\``;
}

function invalid(name: string, expected: string, value: unknown): TypeError {
	return new TypeError(`Expected the \`${name}\` option to be ${expected}, got ${describeValue(value)}.`);
}

function rejectUnknown(options: object, known: Set<string>, where: string): void {
	for (const key of Object.keys(options)) {
		if (!known.has(key)) {
			throw new TypeError(`Unknown ${where} option \`${key}\`. Known options: ${[...known].join(', ')}.`);
		}
	}
}

function optionalString(name: string, value: unknown): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== 'string' || value === '') throw invalid(name, 'a non-empty string', value);
	return value;
}

function integerIn(name: string, value: unknown, min: number, max: number): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		throw invalid(name, `an integer from ${min} to ${max}`, value);
	}
	return value;
}

function timeoutValue(name: string, value: unknown, fallback: number, allowZero: boolean): number {
	if (value === undefined) return fallback;
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
		throw invalid(name, allowZero ? 'a number of milliseconds ≥ 0 (0 means none)' : 'a number of milliseconds > 0', value);
	}
	return value;
}

function envValue(name: string, value: unknown): Record<string, string> {
	if (value === undefined) return {};
	if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(name, 'an object of strings', value);
	const env: Record<string, string> = {};
	for (const [key, entry] of Object.entries(value)) {
		if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
			throw new TypeError(
				`Expected the \`${name}\` option's keys to be shell variable names ([A-Za-z_][A-Za-z0-9_]*), got \`${JSON.stringify(key)}\`.`,
			);
		}
		if (typeof entry !== 'string') throw invalid(`${name}.${key}`, 'a string', entry);
		if (entry.includes('\0')) throw invalid(`${name}.${key}`, 'a string without NUL characters', entry);
		env[key] = entry;
	}
	return env;
}

function snapshotValue(value: unknown, consoleMode: 'capture' | 'inherit'): 'auto' | false {
	// Whoever asks to see the console wants to see a boot: a VM started from a snapshot has none.
	if (value === undefined) return consoleMode === 'inherit' ? false : 'auto';
	if (value === 'auto') return 'auto';
	if (value === false) return false;
	throw invalid('snapshot', "`'auto'` or `false`", value);
}

function functionValue<T extends (...args: never[]) => unknown>(name: string, value: T | undefined): T | undefined {
	if (value !== undefined && typeof value !== 'function') throw invalid(name, 'a function', value);
	return value;
}

function signalValue(name: string, value: unknown): AbortSignal | undefined {
	if (value === undefined) return undefined;
	if (!(value instanceof AbortSignal)) throw invalid(name, 'an AbortSignal', value);
	return value;
}

/** Options a launcher decides for itself: combining them with `launcher` would silently do nothing. */
const OPTIONS_A_LAUNCHER_DECIDES = [
	'kernel',
	'modules',
	'memory',
	'cpus',
	'accel',
	'qemu',
	'network',
	'lan',
	'shell',
	'gdb',
	'keep',
] as const;

function launcherValue(options: VmOptions): string[] | undefined {
	const value = options.launcher;
	if (value === undefined) return undefined;
	if (!Array.isArray(value) || value.length === 0 || !value.every((arg) => typeof arg === 'string' && arg !== '')) {
		throw invalid('launcher', 'a non-empty array of non-empty strings (the launcher command and its leading arguments)', value);
	}
	const clash = OPTIONS_A_LAUNCHER_DECIDES.find((name) => options[name] !== undefined);
	if (clash) {
		throw new TypeError(
			`The \`${clash}\` option cannot be combined with \`launcher\`: the launcher decides it. Configure the launcher instead, or pass QEMU flags through \`qemuArgs\` (e.g. ['-m', '1G']).`,
		);
	}
	return [...value];
}

function booleanValue(name: string, value: unknown): boolean {
	if (value === undefined) return false;
	if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
	return value;
}

function lanValue(value: unknown): { name: string; address: string | undefined } | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'string' && value !== '') return { name: value, address: undefined };
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		const { name, address, ...rest } = value as { name?: unknown; address?: unknown };
		const unknown = Object.keys(rest)[0];
		if (unknown !== undefined) throw new TypeError(`Unknown \`lan\` option \`${unknown}\`. Known options: name, address.`);
		if (typeof name !== 'string' || name === '') throw invalid('lan.name', 'a non-empty string', name);
		if (address !== undefined && (typeof address !== 'string' || !parseLanAddress(address))) {
			throw invalid('lan.address', "an IPv4 host address like `'10.0.3.7'` or `'192.168.7.2/24'` (prefix 8 to 30)", address);
		}
		return { name, address };
	}
	throw invalid('lan', 'a LAN name or `{ name, address }`', value);
}

function keepValue(value: unknown): 'failed' | false {
	if (value === undefined) return process.env.VM_EXEC_KEEP === 'failed' ? 'failed' : false;
	if (value === 'failed' || value === false) return value;
	throw invalid('keep', "`'failed'` or `false`", value);
}

const DEFAULT_KEEP_LIMIT_MS = 30 * 60_000;

function keepLimitFromEnv(): number {
	const seconds = Number(process.env.VM_EXEC_KEEP_LIMIT);
	return process.env.VM_EXEC_KEEP_LIMIT && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : DEFAULT_KEEP_LIMIT_MS;
}

/** Parse `'512M'`, `'1G'`, `'256'` (MiB) or a number of MiB. */
export function parseMemoryMiB(value: unknown): number {
	const range = 'a number of MiB from 64 to 65536 or a string like `512M` or `2G`';
	if (typeof value === 'number') {
		if (!Number.isInteger(value) || value < 64 || value > 65536) throw invalid('memory', range, value);
		return value;
	}
	if (typeof value === 'string') {
		const match = /^\s*(\d+)\s*([MmGg])?i?[Bb]?\s*$/.exec(value);
		if (match) {
			const amount = Number(match[1]) * ((match[2] ?? 'M').toUpperCase() === 'G' ? 1024 : 1);
			if (amount >= 64 && amount <= 65536) return amount;
		}
	}
	throw invalid('memory', range, value);
}

export function normalizeOptions(options: VmOptions = {}): NormalizedVmOptions {
	if (typeof options !== 'object' || options === null || Array.isArray(options)) {
		throw new TypeError(`Expected the options to be an object, got ${describeValue(options)}.`);
	}
	rejectUnknown(options, VM_OPTION_NAMES, 'startVm()');
	const accel = options.accel ?? 'auto';
	if (accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') throw invalid('accel', "`'auto'`, `'kvm'` or `'tcg'`", accel);
	const consoleMode = options.console ?? 'capture';
	if (consoleMode !== 'capture' && consoleMode !== 'inherit') throw invalid('console', "`'capture'` or `'inherit'`", consoleMode);
	const shared = options.shared ?? false;
	if (typeof shared !== 'boolean' && (typeof shared !== 'string' || shared === '')) {
		throw invalid('shared', 'a host directory path or a boolean', shared);
	}
	const qemuArgs = options.qemuArgs ?? [];
	if (!Array.isArray(qemuArgs) || !qemuArgs.every((arg) => typeof arg === 'string')) {
		throw invalid('qemuArgs', 'an array of strings', qemuArgs);
	}
	const cwd = optionalString('cwd', options.cwd) ?? process.cwd();
	if (!path.isAbsolute(cwd)) throw invalid('cwd', 'an absolute path', cwd);
	const shell = optionalString('shell', options.shell) ?? '/bin/sh';
	if (!path.isAbsolute(shell) || /[\s'"\\$`]/.test(shell))
		throw invalid('shell', "an absolute path without spaces or quotes (e.g. `'/bin/bash'`)", shell);
	return {
		kernel: optionalString('kernel', options.kernel),
		modules: optionalString('modules', options.modules),
		memoryMiB: options.memory === undefined ? 256 : parseMemoryMiB(options.memory),
		cpus: options.cpus === undefined ? 1 : integerIn('cpus', options.cpus, 1, 64),
		accel,
		shared: typeof shared === 'string' ? path.resolve(shared) : shared,
		qemuArgs: [...qemuArgs],
		env: envValue('env', options.env),
		cwd,
		shell,
		bootTimeout: timeoutValue('bootTimeout', options.bootTimeout, 60_000, false),
		console: consoleMode,
		cacheDir: optionalString('cacheDir', options.cacheDir),
		snapshot: snapshotValue(options.snapshot, consoleMode),
		onProgress: functionValue('onProgress', options.onProgress),
		qemu: optionalString('qemu', options.qemu),
		signal: signalValue('signal', options.signal),
		launcher: launcherValue(options),
		network: booleanValue('network', options.network),
		lan: lanValue(options.lan),
		gdb: booleanValue('gdb', options.gdb),
		keep: keepValue(options.keep),
		keepLimit: timeoutValue('keepLimit', options.keepLimit, keepLimitFromEnv(), false),
	};
}

export function normalizeExecOptions(options: ExecOptions = {}): NormalizedExecOptions {
	if (typeof options !== 'object' || options === null || Array.isArray(options)) {
		throw new TypeError(`Expected the exec options to be an object, got ${describeValue(options)}.`);
	}
	rejectUnknown(options, EXEC_OPTION_NAMES, 'exec()');
	const encoding = options.encoding ?? 'utf8';
	if (encoding !== 'utf8' && encoding !== 'buffer') throw invalid('encoding', "`'utf8'` or `'buffer'`", encoding);
	let input: Buffer | undefined;
	if (options.input !== undefined) {
		if (typeof options.input === 'string') input = Buffer.from(options.input);
		else if (options.input instanceof Uint8Array) input = Buffer.from(options.input);
		else throw invalid('input', 'a string or a Uint8Array', options.input);
	}
	const cwd = optionalString('cwd', options.cwd);
	if (cwd !== undefined && !cwd.startsWith('/')) throw invalid('cwd', 'an absolute path', cwd);
	for (const name of ['onStdout', 'onStderr'] as const) {
		if (options[name] !== undefined && typeof options[name] !== 'function') throw invalid(name, 'a function', options[name]);
	}
	return {
		env: envValue('env', options.env),
		cwd,
		timeout: timeoutValue('timeout', options.timeout, 0, true),
		input,
		signal: signalValue('signal', options.signal),
		encoding,
		onStdout: options.onStdout,
		onStderr: options.onStderr,
		user: userValue(options.user),
	};
}

function userValue(value: unknown): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
	// A user name as useradd accepts it (no colon, newline or quote reaches getent).
	if (typeof value === 'string' && /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/.test(value)) return value;
	throw invalid('user', 'a guest user name (such as `nobody`) or a uid (an integer ≥ 0)', value);
}

/** Validate the script argument of `exec`/`succeed`/`fail`/`runInVm`. */
export function validateScript(script: unknown): string {
	if (typeof script !== 'string') {
		throw new TypeError(`Expected the script to be a string of shell commands, got ${describeValue(script)}.`);
	}
	if (script.includes('\0')) {
		throw new TypeError(
			'Expected the script to contain no NUL characters (shells cannot run them). Pass binary data as the `input` option, or write it with printf escapes.',
		);
	}
	return script;
}
