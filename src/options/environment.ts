/**
 * Every environment variable vm-exec reads, in one place, as one typed value each (docs/api.md, "Environment
 * variables", has the table). The options gate reads the environment once per VM (`normalizeOptions`), so
 * nothing below it looks at `process.env` in the middle of a boot; the warm pool and the kept-VM registry,
 * which are not per VM, read their variables here too.
 *
 * Precedence, for every variable that has an option: an explicit option beats the variable, which beats the
 * default. One exception, on purpose: `VM_EXEC_POOL` beats the `pool` option, because it is the switch that
 * turns the warm pool off (or up) for a whole run — debugging a flaky spec, measuring — without editing the
 * specs that set `pool`.
 *
 * Not here: `DEBUG` (read by debug.ts, the logger every layer uses, like the `debug` package does), and the
 * system's own `PATH`, `HOME` and `TERM`.
 */
import os from 'node:os';
import path from 'node:path';

/** The variables that shape one VM (read by the options gate). */
export interface VmEnvironment {
	/** `VM_EXEC_KERNEL`: the kernel to boot when the `kernel` option is not given (an absolute path). */
	kernel: string | undefined;
	/** `VM_EXEC_MODULES`: the kernel's modules directory, tried first (an absolute path). */
	modules: string | undefined;
	/** `VM_EXEC_QEMU`: the QEMU binary of the host's arch when the `qemu` option is not given. */
	qemu: string | undefined;
	/** `VM_EXEC_BUSYBOX`: the static busybox packed into the initramfs. */
	busybox: string | undefined;
	/** `VM_EXEC_CACHE`, else `$XDG_CACHE_HOME/vm-exec`, else `~/.cache/vm-exec`: the cache when `cacheDir` is not given. */
	cacheDir: string;
	/** `VM_EXEC_GUEST_SHELL`: the host shell the initramfs carries (a path), `false` for none (`none`), else the VM's `shell`. */
	guestShell: string | false | undefined;
	/** `VM_EXEC_LIVENESS=off` turns the liveness check off (only to measure what it costs). */
	liveness: boolean;
	/** `VM_EXEC_POOL`: the warm pool's size, beating the `pool` option (see above). */
	pool: number | undefined;
	/** `VM_EXEC_KEEP=failed`: the `keep` option's default. */
	keep: 'failed' | false;
	/** `VM_EXEC_KEEP_LIMIT` (seconds, as ms): the `keepLimit` option's default. */
	keepLimitMs: number | undefined;
}

/** The warm pool's variables (read once, when a worker's pool is made). */
export interface PoolEnvironment {
	/** `VM_EXEC_POOL_IDLE` (ms): a waiting VM no test took within it is closed. */
	idleMs: number;
	/** `VM_EXEC_POOL_MEMORY` (MiB): what the waiting VMs of a worker may hold; default a quarter of the host's memory. */
	budgetMiB: number;
	/** `VM_EXEC_POOL_NICE=0` starts VMs ahead at normal CPU priority. */
	nice: boolean;
}

/** A waiting VM that no test takes within this time is closed (ms); `VM_EXEC_POOL_IDLE` overrides it. */
export const DEFAULT_IDLE_MS = 30_000;
/** Share of the host's total memory that the waiting VMs of one worker may hold at most. */
export const DEFAULT_BUDGET_SHARE = 0.25;

type Env = Readonly<Record<string, string | undefined>>;

function set(env: Env, name: string): string | undefined {
	const value = env[name];
	return value === undefined || value === '' ? undefined : value;
}

function badVariable(name: string, expected: string, value: string): TypeError {
	return new TypeError(`Expected the ${name} environment variable to be ${expected}, got \`${value}\`. Fix or unset it.`);
}

/** The cache directory: the option, else `VM_EXEC_CACHE`, else `$XDG_CACHE_HOME/vm-exec`, else `~/.cache/vm-exec`. */
export function resolveCacheDir(option?: string, env: Env = process.env, home = os.homedir()): string {
	if (option) return path.resolve(option);
	const fromEnv = set(env, 'VM_EXEC_CACHE');
	if (fromEnv) return path.resolve(fromEnv);
	const xdg = set(env, 'XDG_CACHE_HOME');
	return path.join(xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache'), 'vm-exec');
}

/**
 * `VM_EXEC_GUEST_SHELL`: the host shell the initramfs carries for the guest's runner (default `/bin/sh`),
 * or `none` to carry none (the guest then starts the host's /bin/sh after boot: slower, for debugging).
 */
export function guestShellSetting(value: string | undefined): string | false | undefined {
	if (value === undefined || value === '') return undefined;
	return value === 'none' ? false : value;
}

/** `VM_EXEC_POOL`: a whole number from 0 to 16, or unset. */
export function poolSizeFromEnv(env: Env): number | undefined {
	const raw = set(env, 'VM_EXEC_POOL');
	if (raw === undefined) return undefined;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 0 || value > 16) throw badVariable('VM_EXEC_POOL', 'a whole number from 0 to 16', raw);
	return value;
}

function keepLimitFromEnv(env: Env): number | undefined {
	const raw = set(env, 'VM_EXEC_KEEP_LIMIT');
	if (raw === undefined) return undefined;
	const seconds = Number(raw);
	if (!Number.isFinite(seconds) || seconds <= 0) throw badVariable('VM_EXEC_KEEP_LIMIT', 'a number of seconds > 0', raw);
	return seconds * 1000;
}

function absolute(value: string | undefined): string | undefined {
	return value === undefined ? undefined : path.resolve(value);
}

/** The variables that shape one VM, read from `env` (pure given `env` and `home`). */
export function readVmEnvironment(env: Env = process.env, home = os.homedir()): VmEnvironment {
	return {
		kernel: absolute(set(env, 'VM_EXEC_KERNEL')),
		modules: absolute(set(env, 'VM_EXEC_MODULES')),
		qemu: set(env, 'VM_EXEC_QEMU'),
		busybox: set(env, 'VM_EXEC_BUSYBOX'),
		cacheDir: resolveCacheDir(undefined, env, home),
		guestShell: guestShellSetting(env.VM_EXEC_GUEST_SHELL),
		liveness: env.VM_EXEC_LIVENESS !== 'off',
		pool: poolSizeFromEnv(env),
		keep: env.VM_EXEC_KEEP === 'failed' ? 'failed' : false,
		keepLimitMs: keepLimitFromEnv(env),
	};
}

/** The idle limit from `VM_EXEC_POOL_IDLE` (ms), else the default. */
export function resolveIdleMs(raw: string | undefined = process.env.VM_EXEC_POOL_IDLE): number {
	if (raw === undefined || raw === '') return DEFAULT_IDLE_MS;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 0) throw badVariable('VM_EXEC_POOL_IDLE', 'a number of milliseconds', raw);
	return value;
}

/** The memory budget of one worker's waiting VMs (MiB): `VM_EXEC_POOL_MEMORY`, else a quarter of the host's total memory. */
export function resolveBudgetMiB(raw: string | undefined = process.env.VM_EXEC_POOL_MEMORY, totalBytes = os.totalmem()): number {
	if (raw === undefined || raw === '') return Math.floor((totalBytes / 2 ** 20) * DEFAULT_BUDGET_SHARE);
	const value = Number(raw);
	if (!Number.isFinite(value) || value < 0) throw badVariable('VM_EXEC_POOL_MEMORY', 'a number of MiB', raw);
	return value;
}

/** The warm pool's variables. */
export function readPoolEnvironment(env: Env = process.env, totalBytes = os.totalmem()): PoolEnvironment {
	return {
		idleMs: resolveIdleMs(env.VM_EXEC_POOL_IDLE),
		budgetMiB: resolveBudgetMiB(env.VM_EXEC_POOL_MEMORY, totalBytes),
		nice: env.VM_EXEC_POOL_NICE !== '0',
	};
}

/** `VM_EXEC_KEPT_DIR`, else a directory of this user's in the temp dir: where kept VMs are registered. */
export function keptDirFrom(env: Env = process.env): { dir: string; explicit: boolean } {
	const explicit = set(env, 'VM_EXEC_KEPT_DIR');
	return explicit
		? { dir: explicit, explicit: true }
		: { dir: path.join(os.tmpdir(), `vm-exec-kept-${process.getuid?.() ?? 'user'}`), explicit: false };
}
