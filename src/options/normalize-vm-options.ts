/**
 * The gate of `startVm()` and `runInVm()`: defaults filled in, every value checked, in one place.
 */
import { archValue, assertAccelFitsArch, rootValue } from '../arch/arch-options.js';
import path from 'node:path';
import { launcherValue } from './launcher-options.js';
import { lanValue } from './lan-options.js';
import { normalizeDisks } from '../disks/options.js';
import { parseMemoryMiB } from './memory.js';
import { readVmEnvironment, resolveCacheDir } from './environment.js';
import { resolvePoolSize } from './pool-options.js';
import {
	assertOptionsObject,
	booleanValue,
	envValue,
	functionValue,
	integerIn,
	invalid,
	optionalString,
	rejectUnknown,
	signalValue,
	timeoutValue,
} from './validators.js';
import type { KernelReportPolicy, NormalizedVmOptions, VmOptions } from './vm-options.js';

const VM_OPTION_NAMES: ReadonlySet<string> = new Set([
	'kernel',
	'modules',
	'arch',
	'root',
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
	'disks',
	'gdb',
	'keep',
	'keepLimit',
	'snapshot',
	'onProgress',
	'pool',
	'kernelReports',
]);

function snapshotValue(value: unknown, consoleMode: 'capture' | 'inherit'): 'auto' | false {
	// Whoever asks to see the console wants to see a boot: a VM started from a snapshot has none.
	if (value === undefined) return consoleMode === 'inherit' ? false : 'auto';
	if (value === 'auto') return 'auto';
	if (value === false) return false;
	throw invalid('snapshot', "`'auto'` or `false`", value);
}

/**
 * Check `options` and fill in their defaults, reading the environment once (options/environment.ts: an
 * explicit option beats its variable, which beats the default). Runs once per VM: everything below the
 * gate takes the normalized options and never reads `process.env` itself.
 */
export function normalizeOptions(
	options: VmOptions = {},
	env: Readonly<Record<string, string | undefined>> = process.env,
): NormalizedVmOptions {
	assertOptionsObject(options, 'the options');
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
	const arch = archValue(options.arch);
	const root = rootValue(options.root, arch);
	assertAccelFitsArch(accel, arch);
	// In another root the host's working directory means nothing: start at its /.
	const cwd = optionalString('cwd', options.cwd) ?? (root ? '/' : process.cwd());
	if (!path.isAbsolute(cwd)) throw invalid('cwd', 'an absolute path', cwd);
	const shell = optionalString('shell', options.shell) ?? '/bin/sh';
	const environment = readVmEnvironment(env);
	if (!path.isAbsolute(shell) || /[\s'"\\$`]/.test(shell))
		throw invalid('shell', "an absolute path without spaces or quotes (e.g. `'/bin/bash'`)", shell);
	return {
		kernel: optionalString('kernel', options.kernel),
		modules: optionalString('modules', options.modules),
		kernelFromEnv: environment.kernel,
		modulesFromEnv: environment.modules,
		arch,
		root,
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
		cacheDir: resolveCacheDir(optionalString('cacheDir', options.cacheDir), env),
		snapshot: snapshotValue(options.snapshot, consoleMode),
		onProgress: functionValue('onProgress', options.onProgress),
		qemu: optionalString('qemu', options.qemu),
		qemuFromEnv: environment.qemu,
		busybox: environment.busybox,
		guestShell: environment.guestShell,
		liveness: environment.liveness,
		signal: signalValue('signal', options.signal),
		launcher: launcherValue(options),
		network: booleanValue('network', options.network),
		lan: lanValue(options.lan),
		disks: normalizeDisks(options.disks),
		pool: resolvePoolSize(options.pool, env.VM_EXEC_POOL),
		gdb: booleanValue('gdb', options.gdb),
		keep: keepValue(options.keep) ?? environment.keep,
		keepLimit: timeoutValue('keepLimit', options.keepLimit, environment.keepLimitMs ?? DEFAULT_KEEP_LIMIT_MS, false),
		kernelReports: kernelReportPolicy(options.kernelReports) ?? 'report',
	};
}

/** The `kernelReports` option (undefined when not given: its default depends on who starts the VM). */
export function kernelReportPolicy(value: unknown): KernelReportPolicy | undefined {
	if (value === undefined || value === 'fail' || value === 'report' || value === 'ignore') return value;
	throw invalid('kernelReports', "`'fail'`, `'report'` or `'ignore'`", value);
}

function keepValue(value: unknown): 'failed' | false | undefined {
	if (value === undefined || value === 'failed' || value === false) return value;
	throw invalid('keep', "`'failed'` or `false`", value);
}

const DEFAULT_KEEP_LIMIT_MS = 30 * 60_000;
