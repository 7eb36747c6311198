/**
 * The `vm-exec` command: a subcommand (`doctor`, …) or a script to run, with usage errors reported the
 * same way for all of them. Resolves with the exit status; main.ts exits with it.
 */
import { readFile } from 'node:fs/promises';
import type { CliIo } from './cli-io.js';
import { EXIT_CODES } from './exit-codes.js';
import { parseRunArgs } from './args/parse-args.js';
import { type RunIo, runScriptCommand } from './run-script.js';
import { runShellCommand } from './shell/shell-command.js';
import { findHelpOrVersion, findSubcommand, SUBCOMMANDS } from './subcommands.js';
import { formatUsage } from './args/usage.js';
import { UsageError } from './args/usage-error.js';

async function readVersion(): Promise<string> {
	// dist/cli/run-cli.js and src/cli/run-cli.ts are both two levels below package.json.
	const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
	return manifest.version;
}

export async function runCli(argv: readonly string[], io: RunIo): Promise<number> {
	try {
		const subcommand = findSubcommand(argv[0]);
		if (subcommand) {
			const asked = findHelpOrVersion(argv.slice(1));
			if (asked === 'help') io.stdout.write(subcommand.usage);
			else if (asked === 'version') io.stdout.write(`${await readVersion()}\n`);
			else return await subcommand.run(argv.slice(1), io);
			return 0;
		}
		// No script on a terminal: an interactive shell (elsewhere a missing script stays a usage error).
		const onTerminal = io.stdin.isTTY === true && (io.stdout as NodeJS.WriteStream).isTTY === true;
		const command = parseRunArgs(argv, process.env, onTerminal ? 'allowed' : 'forbidden');
		if (command.kind === 'help') {
			io.stdout.write(formatUsage(SUBCOMMANDS));
			return 0;
		}
		if (command.kind === 'version') {
			io.stdout.write(`${await readVersion()}\n`);
			return 0;
		}
		if (command.kind === 'shell') return await runShellCommand(command.args, io);
		return await runScriptCommand(command.args, io);
	} catch (error) {
		if (!(error instanceof UsageError)) throw error;
		reportUsageError(error, argv, io);
		return EXIT_CODES.usage;
	}
}

function reportUsageError(error: UsageError, argv: readonly string[], io: CliIo): void {
	const subcommand = findSubcommand(argv[0]);
	const usage = subcommand
		? `${subcommand.usage.split('\n')[0]}   (vm-exec ${subcommand.name} --help for more)`
		: 'Usage: vm-exec [options] "script" [-- ...extra QEMU options]   (vm-exec --help for more)';
	io.stderr.write(`vm-exec: ${error.message}\n${usage}\n`);
}
