import { describe, expect, it } from 'vitest';
import { parseDisk, parseDuration, parseEnvAssignment, parseRunArgs } from '../../../../src/cli/args/parse-args.js';
import { parseFlags } from '../../../../src/cli/args/parse-flags.js';
import { UsageError } from '../../../../src/cli/args/usage-error.js';

function runArgs(argv: string[], env: Record<string, string> = {}) {
	const command = parseRunArgs(argv, env);
	if (command.kind !== 'run') throw new Error(`expected a run command, got ${command.kind}`);
	return command.args;
}

describe('parseRunArgs', () => {
	it('takes the seed launcher flags and passes everything after -- to QEMU verbatim', () => {
		const args = runArgs([
			'--quiet',
			'--initrd-console',
			'--shared=/tmp/x',
			'echo hi',
			'--',
			'-drive',
			'file=disk.img,if=virtio,format=raw',
			'--quiet',
		]);
		expect(args).toMatchObject({
			script: 'echo hi',
			quiet: true,
			initrdConsole: true,
			shared: '/tmp/x',
			qemuArgs: ['-drive', 'file=disk.img,if=virtio,format=raw', '--quiet'],
		});
	});

	it('accepts flag values as the next argument as well as after =', () => {
		expect(runArgs(['--shared', '/srv', '--memory', '1G', 'true'])).toMatchObject({ shared: '/srv', memory: '1G', script: 'true' });
	});

	it('reads --kernel, --memory, --cpus, --accel, --timeout, --env and --launcher', () => {
		const args = runArgs([
			'--kernel=/boot/k',
			'--memory=512M',
			'--cpus=2',
			'--accel=tcg',
			'--timeout=1.5s',
			'--env',
			'A=1',
			'--env=B=x=y',
			'--launcher=nix run .#vmExec --',
			'true',
		]);
		expect(args).toMatchObject({
			kernel: '/boot/k',
			memory: '512M',
			cpus: 2,
			accel: 'tcg',
			timeoutMs: 1500,
			env: { A: '1', B: 'x=y' },
			launcher: ['nix', 'run', '.#vmExec', '--'],
		});
	});

	it('has defaults when no flag is given', () => {
		expect(runArgs(['true'])).toEqual({
			script: 'true',
			quiet: false,
			initrdConsole: false,
			shared: undefined,
			kernel: undefined,
			memory: undefined,
			cpus: undefined,
			accel: undefined,
			timeoutMs: 0,
			env: {},
			launcher: undefined,
			network: false,
			lan: undefined,
			disks: [],
			gdb: false,
			kernelReports: 'report',
			norc: false,
			qemuArgs: [],
		});
	});

	it('parses --kernel-reports, and refuses a value it does not know', () => {
		expect(runArgs(['--kernel-reports=fail', 'true']).kernelReports).toBe('fail');
		expect(runArgs(['--kernel-reports', 'ignore', 'true']).kernelReports).toBe('ignore');
		expect(() => runArgs(['--kernel-reports=maybe', 'true'])).toThrow(
			'Expected `--kernel-reports` to be fail, report or ignore, got `maybe`.',
		);
	});

	it('parses --gdb', () => {
		expect(runArgs(['--gdb', 'true']).gdb).toBe(true);
	});

	it('parses --network and --lan NAME or NAME:ADDRESS', () => {
		expect(runArgs(['--network', '--lan=test', 'true'])).toMatchObject({ network: true, lan: 'test' });
		expect(runArgs(['--lan', 'test:10.0.3.9', 'true']).lan).toEqual({ name: 'test', address: '10.0.3.9' });
	});

	it('copies the host value of a bare --env NAME and skips it when unset', () => {
		expect(runArgs(['--env', 'HOME', '--env', 'UNSET', 'true'], { HOME: '/home/me' }).env).toEqual({ HOME: '/home/me' });
	});

	it('recognizes --help, -h and --version anywhere', () => {
		expect(parseRunArgs(['--help'])).toEqual({ kind: 'help' });
		expect(parseRunArgs(['true', '-h'])).toEqual({ kind: 'help' });
		expect(parseRunArgs(['--version'])).toEqual({ kind: 'version' });
	});

	it.each([
		[['--frobnicate', 'true'], /Unknown option `--frobnicate`/],
		[['true', '-drive', 'x'], /Unknown option `-drive`.*after `--`/],
		[[], /Missing the script/],
		[['--quiet', '--', '-m', '1G'], /Missing the script/],
		[['echo', 'hi'], /Expected one script argument, got 2/],
		[['--accel=xen', 'true'], /`--accel` to be auto, kvm or tcg, got `xen`/],
		[['--cpus=two', 'true'], /`--cpus` to be a whole number/],
		[['--timeout=soon', 'true'], /`--timeout` to be a duration/],
		[['--env', 'not a name=1', 'true'], /NAME=VALUE/],
		[['--shared'], /`--shared` needs a value/],
		[['--quiet=yes', 'true'], /takes no value/],
		[['--kernel=/a', '--kernel=/b', 'true'], /given twice/],
	])('rejects %j with a usage error', (argv, message) => {
		expect(() => parseRunArgs(argv)).toThrow(UsageError);
		expect(() => parseRunArgs(argv)).toThrow(message);
	});
});

describe('parseDuration', () => {
	it.each([
		['30', 30_000],
		['1.5s', 1500],
		['500ms', 500],
		['2m', 120_000],
		['1h', 3_600_000],
		['0', 0],
	])('reads %s as %d ms', (text, ms) => {
		expect(parseDuration(text)).toBe(ms);
	});
});

describe('parseEnvAssignment', () => {
	it('keeps everything after the first = as the value', () => {
		expect(parseEnvAssignment('A==b c', {})).toEqual(['A', '=b c']);
		expect(parseEnvAssignment('A=', {})).toEqual(['A', '']);
	});
});

describe('parseFlags', () => {
	it('treats a lone - as a positional and keeps the arguments after -- apart', () => {
		expect(parseFlags(['-', '--', '--x'], {})).toEqual({ flags: {}, positionals: ['-'], rest: ['--x'] });
	});

	it('does not take -- as a flag value', () => {
		expect(() => parseFlags(['--kernel', '--'], { kernel: { type: 'string' } })).toThrow(/needs a value/);
	});
});

describe('--disk', () => {
	it('takes PATH[:SIZE][,ro], repeatable, in order', () => {
		expect(runArgs(['--disk=a.img:64M', '--disk', 'b.qcow2,ro', '--disk=c:d.img', 'true']).disks).toEqual([
			{ path: 'a.img', size: '64M' },
			{ path: 'b.qcow2', readOnly: true },
			{ path: 'c:d.img' },
		]);
		expect(parseDisk('/x/y.img:2G,ro')).toEqual({ path: '/x/y.img', size: '2G', readOnly: true });
		expect(parseDisk('y.img:1048576')).toEqual({ path: 'y.img', size: '1048576' });
	});

	it('refuses a disk without a path', () => {
		expect(() => parseDisk('')).toThrow(UsageError);
		expect(() => parseDisk(',ro')).toThrow(/PATH\[:SIZE\]\[,ro\]/);
	});
});
