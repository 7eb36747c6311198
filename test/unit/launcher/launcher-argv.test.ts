import { describe, expect, it } from 'vitest';
import { buildLauncherArgv, buildLauncherScript } from '../../../src/launcher/launcher-argv.js';
import { normalizeOptions } from '../../../src/options.js';

const base = {
	launcher: ['/nix/store/x-vm-exec/bin/run-vm-exec'],
	script: 'make test',
	env: {},
	cwd: undefined,
	sharedDir: undefined,
	showBootConsole: false,
	qemuArgs: [],
};

describe('buildLauncherArgv', () => {
	it('runs the launcher quietly with the script as its only positional argument', () => {
		expect(buildLauncherArgv(base)).toEqual(['/nix/store/x-vm-exec/bin/run-vm-exec', ['--quiet', 'make test']]);
	});

	it("keeps the launcher's leading arguments and passes shared dir, console and QEMU options the seed's way", () => {
		expect(
			buildLauncherArgv({ ...base, launcher: ['node', 'cli.js'], sharedDir: '/tmp/s', showBootConsole: true, qemuArgs: ['-m', '1G'] }),
		).toEqual(['node', ['cli.js', '--quiet', '--initrd-console', '--shared=/tmp/s', 'make test', '--', '-m', '1G']]);
	});
});

describe('buildLauncherScript', () => {
	it('puts env and cwd in the script, quoted for the shell', () => {
		expect(buildLauncherScript({ script: 'echo "$A"', env: { A: "it's" }, cwd: '/work dir' })).toBe(
			`export A='it'\\''s'\ncd '/work dir' || exit 1\necho "$A"`,
		);
	});

	it('leaves a script without env or cwd untouched', () => {
		expect(buildLauncherScript({ script: '#!/bin/sh\ntrue', env: {}, cwd: undefined })).toBe('#!/bin/sh\ntrue');
	});
});

describe('the launcher option', () => {
	it('is an array of strings', () => {
		expect(normalizeOptions({ launcher: ['vm', '--x'] }).launcher).toEqual(['vm', '--x']);
		expect(() => normalizeOptions({ launcher: [] })).toThrow('Expected the `launcher` option to be a non-empty array');
		expect(() => normalizeOptions({ launcher: 'vm' as unknown as string[] })).toThrow(TypeError);
	});

	it('cannot be combined with the options a launcher decides', () => {
		expect(() => normalizeOptions({ launcher: ['vm'], memory: '1G' })).toThrow('The `memory` option cannot be combined with `launcher`');
		expect(() => normalizeOptions({ launcher: ['vm'], kernel: '/boot/k' })).toThrow(/`kernel` option cannot be combined/);
	});
});
