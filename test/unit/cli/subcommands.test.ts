import { describe, expect, it } from 'vitest';
import { findHelpOrVersion, SUBCOMMANDS } from '../../../src/cli/subcommands.js';

describe('subcommands', () => {
	it('each has a usage text of its own, naming it', () => {
		for (const command of SUBCOMMANDS) expect(command.usage, command.name).toMatch(new RegExp(`^Usage: vm-exec ${command.name}\\b`));
	});

	it('finds --help, -h and --version among a command’s arguments, not among QEMU’s after --', () => {
		expect(findHelpOrVersion(['--help'])).toBe('help');
		expect(findHelpOrVersion(['--memory=1G', '-h'])).toBe('help');
		expect(findHelpOrVersion(['--version'])).toBe('version');
		expect(findHelpOrVersion(['abc123'])).toBeUndefined();
		expect(findHelpOrVersion(['--', '-h', '--version'])).toBeUndefined();
	});
});
