/**
 * `vm-exec <command> --help` and `--version` do what users expect on every command (the built CLI; no VM boots).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { assertCliBuilt, runCli } from '../../helpers/built-cli.js';

assertCliBuilt();
const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString();
const COMMANDS = ['shell', 'attach', 'ps', 'kill', 'doctor', 'cache'];

describe('--help and --version on each command', () => {
	it.each(COMMANDS)('vm-exec %s --help prints that command’s usage; -h too', async (command) => {
		for (const flag of ['--help', '-h']) {
			const result = await runCli([command, flag]);
			expect(result.exitCode).toBe(0);
			expect(text(result.stdout)).toMatch(new RegExp(`^Usage: vm-exec ${command}\\b`));
			expect(text(result.stderr)).toBe('');
		}
	});

	it.each(COMMANDS)('vm-exec %s --version prints the version', async (command) => {
		const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
		const result = await runCli([command, '--version']);
		expect(result.exitCode).toBe(0);
		expect(text(result.stdout)).toBe(`${manifest.version}\n`);
	});

	it('lists the VM options in `vm-exec shell --help`', async () => {
		const result = await runCli(['shell', '--help']);
		expect(text(result.stdout)).toContain('--memory=SIZE');
		expect(text(result.stdout)).toContain('--shared=PATH');
	});
});
