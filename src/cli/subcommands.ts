/**
 * The `vm-exec <command>` registry. A first argument naming one of these runs it instead of a script
 * (to run a program of that name in the VM, write it as a script: `vm-exec './doctor'` or `vm-exec 'doctor;'`).
 * To add a command, add an entry: the usage text lists it.
 */
import type { CliIo } from './cli-io.js';
import { runCacheCommand } from './cache-command.js';
import { runDoctorCommand } from './doctor/doctor.js';

export interface Subcommand {
	name: string;
	summary: string;
	/** Runs the command with the arguments after its name; resolves with the exit status. */
	run(argv: readonly string[], io: CliIo): Promise<number>;
}

export const SUBCOMMANDS: readonly Subcommand[] = [
	{
		name: 'doctor',
		summary: 'Check that this host can run VMs (QEMU, KVM, kernel, modules, busybox, cache), with fixes',
		run: runDoctorCommand,
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
