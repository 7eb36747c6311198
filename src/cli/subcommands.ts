/**
 * The `vm-exec <command>` registry. A first argument naming one of these runs it instead of a script
 * (to run a program of that name in the VM, write it as a script: `vm-exec './doctor'` or `vm-exec 'doctor;'`).
 * To add a command, add an entry: the usage text lists it.
 */
import type { RunIo } from './run-script.js';
import { runCacheCommand } from './cache-command.js';
import { runDoctorCommand } from './doctor/doctor.js';
import { parseRunArgs } from './args/parse-args.js';
import { runShellCommand } from './shell/shell-command.js';
import { runAttachCommand } from './shell/attach-command.js';
import { runKillCommand, runPsCommand } from './kept-commands.js';
import { SHELL_USAGE } from './args/usage.js';
import { DOCTOR_USAGE } from './doctor/doctor.js';
import { CACHE_USAGE } from './cache-command.js';
import { ATTACH_USAGE } from './shell/attach-command.js';
import { KILL_USAGE, PS_USAGE } from './kept-commands.js';

export interface Subcommand {
	name: string;
	summary: string;
	/** What `vm-exec <name> --help` prints (run-cli.ts answers `--help`, `-h` and `--version` for every command). */
	usage: string;
	/** Runs the command with the arguments after its name; resolves with the exit status. */
	run(argv: readonly string[], io: RunIo): Promise<number>;
}

export const SUBCOMMANDS: readonly Subcommand[] = [
	{
		name: 'doctor',
		summary: 'Check that this host can run VMs (QEMU, KVM, kernel, modules, busybox, cache), with fixes',
		usage: DOCTOR_USAGE,
		run: runDoctorCommand,
	},
	{
		name: 'shell',
		summary: 'Open an interactive shell in a fresh VM (takes the same options as a script run; also `vm-exec` alone on a terminal)',
		usage: SHELL_USAGE,
		run: async (argv, io) => {
			const command = parseRunArgs(argv, process.env, 'only');
			// --help and --version never get here (run-cli.ts), so this is always a shell.
			if (command.kind !== 'shell') throw new Error(`unexpected \`vm-exec shell\` command: ${command.kind}`);
			return runShellCommand(command.args, io);
		},
	},
	{
		name: 'attach',
		summary: 'Open a shell in a kept VM: `vm-exec attach <id>` (tests keep failed VMs with VM_EXEC_KEEP=failed)',
		usage: ATTACH_USAGE,
		run: runAttachCommand,
	},
	{
		name: 'ps',
		summary: 'List the kept VMs (id, age, time left, QEMU pid, test)',
		usage: PS_USAGE,
		run: runPsCommand,
	},
	{
		name: 'kill',
		summary: 'Stop a kept VM: `vm-exec kill <id>`, or all of them with --all',
		usage: KILL_USAGE,
		run: runKillCommand,
	},
	{
		name: 'cache',
		summary: 'Show the cache directory and its size (kernels, initramfs, VM snapshots); --clear empties it',
		usage: CACHE_USAGE,
		run: runCacheCommand,
	},
];

export function findSubcommand(name: string | undefined): Subcommand | undefined {
	return SUBCOMMANDS.find((command) => command.name === name);
}

/**
 * `--help`/`-h` or `--version` among a command's arguments (before a `--`, after which arguments are
 * QEMU's), the way users try them on any command (pure).
 */
export function findHelpOrVersion(argv: readonly string[]): 'help' | 'version' | undefined {
	const end = argv.indexOf('--');
	const own = end === -1 ? argv : argv.slice(0, end);
	if (own.includes('--help') || own.includes('-h')) return 'help';
	if (own.includes('--version')) return 'version';
	return undefined;
}
