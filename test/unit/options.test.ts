import { describe, expect, it } from 'vitest';
import { normalizeExecOptions, normalizeOptions, parseMemoryMiB, validateScript } from '../../src/options.js';

describe('normalizeOptions', () => {
	it('fills in the defaults', () => {
		const options = normalizeOptions();
		expect(options).toMatchObject({
			memoryMiB: 256,
			cpus: 1,
			accel: 'auto',
			shared: false,
			qemuArgs: [],
			env: {},
			cwd: process.cwd(),
			shell: '/bin/sh',
			bootTimeout: 60_000,
			console: 'capture',
		});
	});

	it.each([
		[
			{ memory: 'lots' },
			'Expected the `memory` option to be a number of MiB from 64 to 65536 or a string like `512M` or `2G`, got `"lots"`.',
		],
		[{ memory: 32 }, 'Expected the `memory` option to be a number of MiB from 64 to 65536 or a string like `512M` or `2G`, got `32`.'],
		[{ cpus: 0 }, 'Expected the `cpus` option to be an integer from 1 to 64, got `0`.'],
		[{ cpus: 1.5 }, 'Expected the `cpus` option to be an integer from 1 to 64, got `1.5`.'],
		[{ accel: 'hvf' }, "Expected the `accel` option to be `'auto'`, `'kvm'` or `'tcg'`, got `\"hvf\"`."],
		[{ shared: 1 }, 'Expected the `shared` option to be a host directory path or a boolean, got `1`.'],
		[{ qemuArgs: '-m 1G' }, 'Expected the `qemuArgs` option to be an array of strings, got `"-m 1G"`.'],
		[{ env: { 'A-B': 'x' } }, 'Expected the `env` option\'s keys to be shell variable names ([A-Za-z_][A-Za-z0-9_]*), got `"A-B"`.'],
		[{ env: { A: 1 } }, 'Expected the `env.A` option to be a string, got `1`.'],
		[{ bootTimeout: -1 }, 'Expected the `bootTimeout` option to be a number of milliseconds > 0, got `-1`.'],
		[{ console: 'loud' }, "Expected the `console` option to be `'capture'` or `'inherit'`, got `\"loud\"`."],
		[{ cwd: 'relative/dir' }, 'Expected the `cwd` option to be an absolute path, got `"relative/dir"`.'],
		[{ kernel: '' }, 'Expected the `kernel` option to be a non-empty string, got `""`.'],
		[
			{ shell: 'bash' },
			'Expected the `shell` option to be an absolute path without spaces or quotes (e.g. `\'/bin/bash\'`), got `"bash"`.',
		],
		[{ signal: 'stop' }, 'Expected the `signal` option to be an AbortSignal, got `"stop"`.'],
	])('rejects %j with a TypeError that names the option and the value', (options, message) => {
		expect(() => normalizeOptions(options as never)).toThrow(new TypeError(message));
	});

	it('rejects unknown options and lists the known ones', () => {
		expect(() => normalizeOptions({ memroy: '1G' } as never)).toThrow(/Unknown startVm\(\) option `memroy`. Known options: .*memory/);
	});

	it('uses snapshots by default, but boots cold when asked to show the console (unless told otherwise)', () => {
		expect(normalizeOptions({}).snapshot).toBe('auto');
		expect(normalizeOptions({ console: 'inherit' }).snapshot).toBe(false);
		expect(normalizeOptions({ console: 'inherit', snapshot: 'auto' }).snapshot).toBe('auto');
	});

	it('resolves a relative shared path against the working directory', () => {
		expect(normalizeOptions({ shared: 'out' }).shared).toBe(`${process.cwd()}/out`);
	});
});

describe('parseMemoryMiB', () => {
	it.each([
		[512, 512],
		['512', 512],
		['512M', 512],
		['512m', 512],
		['1G', 1024],
		['2GiB', 2048],
		[' 64M ', 64],
	])('parses %j as %i MiB', (input, mib) => {
		expect(parseMemoryMiB(input)).toBe(mib);
	});
});

describe('normalizeExecOptions', () => {
	it('turns string input into bytes and defaults to no timeout and utf8', () => {
		expect(normalizeExecOptions({ input: 'hé' })).toMatchObject({ input: Buffer.from('hé'), timeout: 0, encoding: 'utf8' });
	});

	it.each([
		[{ timeout: -5 }, 'Expected the `timeout` option to be a number of milliseconds ≥ 0 (0 means none), got `-5`.'],
		[{ encoding: 'latin1' }, "Expected the `encoding` option to be `'utf8'` or `'buffer'`, got `\"latin1\"`."],
		[{ input: 42 }, 'Expected the `input` option to be a string or a Uint8Array, got `42`.'],
		[{ cwd: 'src' }, 'Expected the `cwd` option to be an absolute path, got `"src"`.'],
		[{ onStdout: 'yes' }, 'Expected the `onStdout` option to be a function, got `"yes"`.'],
	])('rejects %j with a TypeError', (options, message) => {
		expect(() => normalizeExecOptions(options as never)).toThrow(new TypeError(message));
	});

	it('rejects a script that is not a string', () => {
		expect(() => validateScript(['ls'])).toThrow(new TypeError('Expected the script to be a string of shell commands, got an array.'));
	});
});
