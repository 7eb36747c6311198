#!/usr/bin/env node
/**
 * The `vm-exec` executable (package.json "bin"). All logic lives in run-cli.ts; this only wires the
 * process's streams and exits with the status, once the output is flushed.
 */
import { runCli } from './run-cli.js';
import { EXIT_CODES } from './exit-codes.js';

function flush(stream: NodeJS.WriteStream): Promise<void> {
	return new Promise((resolve) => stream.write('', () => resolve()));
}

let code: number;
try {
	code = await runCli(process.argv.slice(2), {
		stdin: process.stdin,
		stdout: process.stdout,
		stderr: process.stderr,
		stderrIsTty: process.stderr.isTTY === true,
	});
} catch (error) {
	process.stderr.write(`vm-exec: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
	code = EXIT_CODES.crash;
}
await Promise.all([flush(process.stdout), flush(process.stderr)]);
process.exit(code);
