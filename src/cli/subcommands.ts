/**
 * The `vm-exec <command>` registry. A first argument naming one of these runs it instead of a script
 * (to run a program of that name in the VM, write it as a script: `vm-exec './doctor'` or `vm-exec 'doctor;'`).
 * To add a command, add an entry: the usage text lists it.
 */
import type { RunIo } from './run-script.js';
import { runCacheCommand } from './cache-command.js';
import { runDoctorCommand } from './doctor/doctor.js';
import { parseRunArgs } from './parse-args.js';
import { runShellCommand } from './shell/shell-command.js';
import { runAttachCommand } from './shell/attach-command.js';
import { runKillCommand, runPsCommand } from './kept-commands.js';
import { formatUsage } from './usage.js';

export interface Subcommand {
	name: string;
	summary: string;
	/** Runs the command with the arguments after its name; resolves with the exit status. */
	run(argv: readonly string[], io: RunIo): Promise<number>;
}

export const SUBCOMMANDS: readonly Subcommand[] = [
	{
		name: 'doctor',
		summary: 'Check that this host can run VMs (QEMU, KVM, kernel, modules, busybox, cache), with fixes',
		run: runDoctorCommand,
	},
	{
		name: 'shell',
		summary: 'Open an interactive shell in a fresh VM (takes the same options as a script run; also `vm-exec` alone on a terminal)',
		run: async (argv, io) => {
			const command = parseRunArgs(argv, process.env, 'only');
			if (command.kind === 'shell') return runShellCommand(command.args, io);
			io.stdout.write(command.kind === 'help' ? formatUsage(SUBCOMMANDS) : '');
			return 0;
		},
	},
	{
		name: 'attach',
		summary: 'Open a shell in a kept VM: `vm-exec attach <id>` (tests keep failed VMs with VM_EXEC_KEEP=failed)',
		run: runAttachCommand,
	},
	{
		name: 'ps',
		summary: 'List the kept VMs (id, age, time left, QEMU pid, test)',
		run: runPsCommand,
	},
	{
		name: 'kill',
		summary: 'Stop a kept VM: `vm-exec kill <id>`, or all of them with --all',
		run: runKillCommand,
	},
	{
		name: 'cache',
		summary: 'Show the cache directory and its size (kernels, initramfs, VM snapshots); --clear empties it',
		run: runCacheCommand,
	},
];

export function findSubcommand(name: string | undefined): Subcommand | undefined {
	return SUBCOMMANDS.find((command) => command.name === name);
}
