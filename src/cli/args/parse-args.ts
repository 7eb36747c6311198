/**
 * `vm-exec [flags] "script" [-- ...qemu options]` → what to do (pure: no I/O, the host environment is a
 * parameter). Flag values are checked here only as far as the CLI's own syntax goes (durations, `K=V`);
 * the library's options gate validates the rest.
 */
import type { Accel } from '../../options.js';
import type { DiskOptions } from '../../disks/options.js';
import { type FlagSpec, parseFlags } from './parse-flags.js';
import { UsageError } from './usage-error.js';

export const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
	quiet: { type: 'boolean' },
	'initrd-console': { type: 'boolean' },
	shared: { type: 'string' },
	kernel: { type: 'string' },
	modules: { type: 'string' },
	arch: { type: 'string' },
	root: { type: 'string' },
	memory: { type: 'string' },
	cpus: { type: 'string' },
	accel: { type: 'string' },
	timeout: { type: 'string' },
	env: { type: 'list' },
	launcher: { type: 'string' },
	network: { type: 'boolean' },
	lan: { type: 'string' },
	disk: { type: 'list' },
	gdb: { type: 'boolean' },
	'kernel-reports': { type: 'string' },
	norc: { type: 'boolean' },
	help: { type: 'boolean', short: 'h' },
	version: { type: 'boolean' },
};

export interface RunArgs {
	script: string;
	quiet: boolean;
	initrdConsole: boolean;
	shared: string | undefined;
	kernel: string | undefined;
	/** `--modules=DIR`: the kernel's modules directory. */
	modules: string | undefined;
	/** `--arch=x86_64|aarch64`: the guest's architecture (checked by the options gate). */
	arch: string | undefined;
	/** `--root=DIR`: the guest's read-only lower root instead of the host's `/`. */
	root: string | undefined;
	memory: string | undefined;
	cpus: number | undefined;
	accel: Accel | undefined;
	/** Milliseconds; 0: none. */
	timeoutMs: number;
	env: Record<string, string>;
	launcher: string[] | undefined;
	/** `--network`: a user-mode NIC (NAT), as the seed sets it up. */
	network: boolean;
	/** `--lan=NAME` or `--lan=NAME:ADDRESS`: join a private LAN (only VMs of this process share it). */
	lan: string | { name: string; address: string } | undefined;
	/** `--disk=PATH[:SIZE][,ro]`, in order: the `disks` option. */
	disks: DiskOptions[];
	/** `--gdb`: start QEMU's gdb stub and print how to connect. */
	gdb: boolean;
	/**
	 * `--kernel-reports=fail|report|ignore`: what a kernel report during the script does: `fail` exits with
	 * EXIT_CODES.kernelReport, `report` (the default) prints a notice on stderr, `ignore` nothing.
	 */
	kernelReports: 'fail' | 'report' | 'ignore';
	/** `--norc` (interactive shell only): bash without the user's startup files. */
	norc: boolean;
	/** Everything after `--`, for QEMU (or the launcher's QEMU). */
	qemuArgs: string[];
}

export type CliCommand = { kind: 'help' } | { kind: 'version' } | { kind: 'run'; args: RunArgs } | { kind: 'shell'; args: RunArgs };

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, '': 1000, m: 60_000, h: 3_600_000 };

/** `'30'` (seconds), `'1.5s'`, `'500ms'`, `'2m'`, `'1h'` → milliseconds. */
export function parseDuration(text: string, flag = '--timeout'): number {
	const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|)$/.exec(text.trim());
	if (!match) throw new UsageError(`Expected \`${flag}\` to be a duration like 30 (seconds), 1.5s, 500ms or 2m, got \`${text}\`.`);
	return Math.round(Number(match[1]) * DURATION_UNITS_MS[match[2]!]!);
}

/** `K=V` → [K, V]; a bare `K` takes the host's value of K (like `docker run -e K`), or is skipped when unset. */
export function parseEnvAssignment(text: string, hostEnv: Readonly<Record<string, string | undefined>>): [string, string] | undefined {
	const equals = text.indexOf('=');
	const key = equals === -1 ? text : text.slice(0, equals);
	if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
		throw new UsageError(`Expected \`--env\` to be NAME=VALUE with a shell variable name, got \`${text}\`.`);
	}
	if (equals !== -1) return [key, text.slice(equals + 1)];
	const inherited = hostEnv[key];
	return inherited === undefined ? undefined : [key, inherited];
}

/** `NAME` or `NAME:ADDRESS` → the `lan` option. */
export function parseLan(text: string | undefined): RunArgs['lan'] {
	if (text === undefined) return undefined;
	const colon = text.indexOf(':');
	if (colon === -1) return text;
	return { name: text.slice(0, colon), address: text.slice(colon + 1) };
}

/**
 * `PATH`, `PATH:SIZE`, `PATH,ro` or `PATH:SIZE,ro` → one entry of the `disks` option (the size creates a
 * missing file). A colon followed by something that is not a size stays part of the path.
 */
export function parseDisk(text: string): DiskOptions {
	let rest = text;
	const readOnly = rest.endsWith(',ro');
	if (readOnly) rest = rest.slice(0, -3);
	const match = /^(.+):(\d+(?:\.\d+)?[KMGTkmgt]?)$/.exec(rest);
	const file = match ? match[1]! : rest;
	if (file === '') throw new UsageError(`Expected \`--disk\` to be PATH[:SIZE][,ro] (e.g. --disk=disk.img:64M), got \`${text}\`.`);
	return { path: file, ...(match ? { size: match[2]! } : {}), ...(readOnly ? { readOnly: true } : {}) };
}

function optionalString(value: unknown): string | undefined {
	return typeof value === 'string' ? value : undefined;
}

/**
 * `shell`: what no script means. `'forbidden'` (not on a terminal): a usage error, as always; `'allowed'`
 * (on a terminal): an interactive shell; `'only'` (`vm-exec shell`): a script is a usage error.
 */
export function parseRunArgs(
	argv: readonly string[],
	hostEnv: Readonly<Record<string, string | undefined>> = {},
	shell: 'forbidden' | 'allowed' | 'only' = 'forbidden',
): CliCommand {
	const { flags, positionals, rest } = parseFlags(argv, RUN_FLAGS);
	if (flags.help) return { kind: 'help' };
	if (flags.version) return { kind: 'version' };
	if (shell === 'only' && positionals.length > 0) {
		throw new UsageError(`\`vm-exec shell\` takes no script, got \`${positionals[0]}\`. To run a script, leave out \`shell\`.`);
	}
	if (positionals.length === 0 && shell === 'forbidden') throw new UsageError('Missing the script to run in the VM: `vm-exec "uname -r"`.');
	if (positionals.length > 1) {
		const shown = positionals.map((arg) => `\`${arg}\``).join(', ');
		throw new UsageError(
			`Expected one script argument, got ${positionals.length}: ${shown}. Quote the whole script as one argument (\`vm-exec 'echo a; echo b'\`); QEMU options go after \`--\`.`,
		);
	}
	if (flags.norc && positionals.length > 0)
		throw new UsageError('`--norc` is for an interactive shell (`vm-exec shell --norc`), not a script.');
	const accel = optionalString(flags.accel);
	if (accel !== undefined && accel !== 'auto' && accel !== 'kvm' && accel !== 'tcg') {
		throw new UsageError(`Expected \`--accel\` to be auto, kvm or tcg, got \`${accel}\`.`);
	}
	const cpusText = optionalString(flags.cpus);
	if (cpusText !== undefined && !/^\d+$/.test(cpusText))
		throw new UsageError(`Expected \`--cpus\` to be a whole number, got \`${cpusText}\`.`);
	const launcherText = optionalString(flags.launcher);
	const launcher = launcherText?.trim().split(/\s+/).filter(Boolean);
	if (launcher !== undefined && launcher.length === 0) throw new UsageError('Expected `--launcher` to be a command, got an empty string.');
	const env: Record<string, string> = {};
	for (const assignment of (flags.env as string[] | undefined) ?? []) {
		const entry = parseEnvAssignment(assignment, hostEnv);
		if (entry) env[entry[0]] = entry[1];
	}
	const timeoutText = optionalString(flags.timeout);
	const kernelReports = optionalString(flags['kernel-reports']) ?? 'report';
	if (kernelReports !== 'fail' && kernelReports !== 'report' && kernelReports !== 'ignore') {
		throw new UsageError(`Expected \`--kernel-reports\` to be fail, report or ignore, got \`${kernelReports}\`.`);
	}
	return {
		kind: positionals.length === 0 ? 'shell' : 'run',
		args: {
			script: positionals[0] ?? '',
			quiet: flags.quiet === true,
			initrdConsole: flags['initrd-console'] === true,
			shared: optionalString(flags.shared),
			kernel: optionalString(flags.kernel),
			modules: optionalString(flags.modules),
			arch: optionalString(flags.arch),
			root: optionalString(flags.root),
			memory: optionalString(flags.memory),
			cpus: cpusText === undefined ? undefined : Number(cpusText),
			accel,
			timeoutMs: timeoutText === undefined ? 0 : parseDuration(timeoutText),
			env,
			launcher,
			network: flags.network === true,
			lan: parseLan(optionalString(flags.lan)),
			disks: ((flags.disk as string[] | undefined) ?? []).map(parseDisk),
			gdb: flags.gdb === true,
			kernelReports,
			norc: flags.norc === true,
			qemuArgs: rest ?? [],
		},
	};
}
