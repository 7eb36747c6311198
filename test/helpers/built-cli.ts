/**
 * Running the built `vm-exec` command as a user would: a child process of `node dist/cli/main.js`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

export const CLI_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/cli/main.js');

export function assertCliBuilt(): void {
	if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run \`npm run build\` before the CLI tests.`);
}

/** Run `vm-exec ...args`; never rejects on a non-zero exit. Output is kept as bytes. */
export function runCli(args: readonly string[], options: Options = {}) {
	// No input: stdin is /dev/null, as for a user who redirects it (vm-exec reads stdin when it is not a terminal).
	const stdin =
		options.input === undefined && options.inputFile === undefined && options.stdin === undefined ? { stdin: 'ignore' as const } : {};
	return execa(process.execPath, [CLI_PATH, ...args], {
		reject: false,
		encoding: 'buffer',
		stripFinalNewline: false,
		...stdin,
		...options,
	} as Options & { encoding: 'buffer' });
}
