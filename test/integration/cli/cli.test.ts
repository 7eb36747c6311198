/**
 * The `vm-exec` command, run as a child process exactly as a user (or a seed launcher user) runs it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKernel } from '../../../src/kernel/kernel.js';
import { assertCliBuilt, CLI_PATH, runCli } from '../../helpers/built-cli.js';

let tempRoot: string;
beforeAll(async () => {
	assertCliBuilt();
	tempRoot = await mkdtemp(path.join(os.tmpdir(), 'vm-exec-cli-test-'));
});
afterAll(async () => {
	if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
});

const text = (data: unknown) => Buffer.from(data as Uint8Array).toString('utf8');

describe('vm-exec "script"', () => {
	it.each([0, 1, 7, 255])("exits with the script's exit status %i", async (code) => {
		const result = await runCli([`echo out; exit ${code}`]);
		expect(text(result.stdout)).toBe('out\n');
		expect(result.exitCode).toBe(code);
	});

	it('passes stdout and stderr through byte for byte, and stdin to the script', async () => {
		const input = Buffer.from([0x69, 0, 0xfe, 0x0a]);
		const result = await runCli(["printf 'a\\000b\\377\\n'; printf 'e\\001' >&2; cat"], { input });
		expect(Buffer.from(result.stdout as Uint8Array)).toEqual(Buffer.concat([Buffer.from([0x61, 0, 0x62, 0xff, 0x0a]), input]));
		expect(Buffer.from(result.stderr as Uint8Array)).toEqual(Buffer.from([0x65, 1]));
		expect(result.exitCode).toBe(0);
	});

	it("runs the script with bash, in the host's file system, as root", async () => {
		const result = await runCli(['echo "$BASH_VERSION" "$(id -u)"; [[ -d /usr ]] && echo bash-test']);
		expect(text(result.stdout)).toMatch(/^\d+\.\d+\S* 0\nbash-test\n$/);
	});

	it('--shared=PATH mounts a host directory read-write at /tmp/shared', async () => {
		const shared = await mkdtemp(path.join(tempRoot, 'shared-'));
		await writeFile(path.join(shared, 'from-host'), 'host data\n');
		const result = await runCli([`--shared=${shared}`, 'cat /tmp/shared/from-host; echo guest data > /tmp/shared/from-guest']);
		expect(text(result.stdout)).toBe('host data\n');
		expect(await readFile(path.join(shared, 'from-guest'), 'utf8')).toBe('guest data\n');
	});

	it('passes everything after -- to QEMU, e.g. a disk the script reads', async () => {
		const disk = path.join(tempRoot, 'disk.img');
		await writeFile(disk, Buffer.concat([Buffer.from('DISK-MARKER'), Buffer.alloc(1024 * 1024 - 11)]));
		// No modprobe: the guest loads the driver of every device it has before the script runs.
		const result = await runCli(['head -c 11 /dev/vda', '--', '-drive', `file=${disk},if=virtio,format=raw`]);
		expect({ stdout: text(result.stdout), exitCode: result.exitCode }).toEqual({ stdout: 'DISK-MARKER', exitCode: 0 });
	});

	it('--disk=PATH:SIZE creates a missing image, --disk=PATH,ro attaches one read-only, in order', async () => {
		const created = path.join(tempRoot, 'cli-new.img');
		const existing = path.join(tempRoot, 'cli-ro.img');
		await writeFile(existing, Buffer.concat([Buffer.from('READ-ONLY'), Buffer.alloc(512 * 1024 - 9)]));
		const result = await runCli([
			`--disk=${created}:4M`,
			`--disk=${existing},ro`,
			'echo new >/dev/vda && sync && blockdev --getsize64 /dev/vda && head -c 9 /dev/vdb && ! echo x >/dev/vdb 2>/dev/null',
		]);
		expect({ stdout: text(result.stdout), exitCode: result.exitCode }).toEqual({ stdout: `${4 * 1024 * 1024}\nREAD-ONLY`, exitCode: 0 });
		expect((await readFile(created)).subarray(0, 4).toString()).toBe('new\n');
	});

	it('--disk with a missing file and no size fails before QEMU starts, naming the file and the fix', async () => {
		const result = await runCli([`--disk=${path.join(tempRoot, 'nope.img')}`, 'true']);
		expect(result.exitCode).not.toBe(0);
		expect(text(result.stderr)).toMatch(/The disk image .*nope\.img \(disks\[0\]\) does not exist\. Give a `size`/);
	});

	it("--initrd-console shows the guest's boot messages on stderr; without it the boot is silent", async () => {
		const withConsole = await runCli(['--initrd-console', 'echo done']);
		expect(text(withConsole.stderr)).toContain('Linux version');
		expect(text(withConsole.stdout)).toBe('done\n');
		const silent = await runCli(['echo done']);
		expect(text(silent.stderr)).toBe('');
	});

	it('--kernel, --memory, --cpus, --accel and --env configure the VM', async () => {
		const kernel = await findKernel({});
		const result = await runCli([
			`--kernel=${kernel.path}`,
			'--memory=512M',
			'--cpus=2',
			'--accel=tcg',
			'--env',
			'GREETING=hello world',
			'--env=EMPTY=',
			'uname -r; nproc; awk \'/MemTotal/ { print ($2 > 400000) }\' /proc/meminfo; echo "$GREETING|$EMPTY|${EMPTY+set}"',
		]);
		expect(text(result.stdout)).toBe(`${kernel.release}\n2\n1\nhello world||set\n`);
	});

	it('--timeout kills the script and exits 124', async () => {
		const result = await runCli(['--timeout=5', 'echo started; sleep 600']);
		expect(result.exitCode).toBe(124);
		expect(text(result.stdout)).toBe('started\n');
		expect(text(result.stderr)).toMatch(/^vm-exec: the script timed out after 5 s/);
	});

	it('reports a VM crash on stderr and exits 70', async () => {
		const result = await runCli(['echo c > /proc/sysrq-trigger; sleep 60']);
		expect(result.exitCode).toBe(70);
		expect(text(result.stderr)).toMatch(/^vm-exec: The VM crashed: the guest kernel panicked/);
	});

	it('stops the script and the VM on SIGINT and exits 130', async () => {
		const child = runCli(['echo started; sleep 600'], { buffer: false });
		await new Promise<void>((resolve) => child.stdout?.on('data', () => resolve()));
		const { stdout: children } = await execa('pgrep', ['-P', String(child.pid)], { reject: false });
		const qemuPids = children.split('\n').filter(Boolean).map(Number);
		expect(qemuPids.length).toBeGreaterThan(0);
		child.kill('SIGINT');
		const result = await child;
		expect(result.exitCode).toBe(130);
		for (const pid of qemuPids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
	});

	it('--launcher runs the script with another launcher of the same interface (here: vm-exec itself)', async () => {
		const result = await runCli(
			[`--launcher=${process.execPath} ${CLI_PATH}`, '--env', 'A=via-launcher', 'echo "$A"; echo err >&2; exit 9'],
			{ input: '' },
		);
		expect({ stdout: text(result.stdout), stderr: text(result.stderr), exitCode: result.exitCode }).toEqual({
			stdout: 'via-launcher\n',
			stderr: 'err\n',
			exitCode: 9,
		});
	});
});

describe('--quiet', () => {
	// Progress lines are for a person watching a terminal: script(1) gives the command one.
	const inTerminal = (args: string[]) =>
		execa('script', ['-qec', [process.execPath, CLI_PATH, ...args].map((arg) => `'${arg}'`).join(' '), '/dev/null'], { reject: false });

	it("prints nothing but the script's output, where vm-exec otherwise reports progress", async () => {
		const chatty = await inTerminal(['echo hello; exit 3']);
		expect(chatty.stdout).toMatch(/^vm-exec: VM up in [\d.]+ s \(Linux /m);
		expect(chatty.stdout).toContain('vm-exec: the script exited with status 3');
		const quiet = await inTerminal(['--quiet', 'echo hello; exit 3']);
		expect(quiet.stdout).toBe('hello');
		expect(quiet.exitCode).toBe(3);
	});
});

describe('--network and --lan', () => {
	it("--network gives the guest the seed's NAT set-up", async () => {
		const result = await runCli(['--network', 'ip -4 -o addr show eth0 | grep -o "inet [0-9./]*"; ip route show default']);
		expect(text(result.stdout)).toMatch(/^inet 10\.0\.2\.15\/24\ndefault via 10\.0\.2\.2 /);
		expect(result.exitCode).toBe(0);
	});

	it('--lan=NAME:ADDRESS puts the VM on a private LAN with that address', async () => {
		const result = await runCli(['--lan=cli-test:10.0.3.7', 'ip -4 -o addr | grep -c "inet 10.0.3.7/"']);
		expect(text(result.stdout)).toBe('1\n');
	});
});

describe('the first start of a configuration', () => {
	it('prints one progress line while it creates the snapshot, and none the next time', async () => {
		const cacheDir = await mkdtemp(path.join(tempRoot, 'cache-'));
		const inTerminal = () =>
			execa('script', ['-qec', `${process.execPath} ${CLI_PATH} 'echo hello'`, '/dev/null'], {
				reject: false,
				env: { VM_EXEC_CACHE: cacheDir },
			});
		const first = await inTerminal();
		expect(first.stdout.match(/Creating a VM snapshot/g)).toHaveLength(1);
		expect(first.stdout).toContain('hello');
		const second = await inTerminal();
		expect(second.stdout).not.toContain('Creating a VM snapshot');
		expect(second.stdout).toContain('hello');
	});
});

describe('vm-exec errors', () => {
	it('reports a VM that cannot boot and exits 69', async () => {
		const result = await runCli(['--kernel=/nonexistent/vmlinuz', 'true']);
		expect(result.exitCode).toBe(69);
		expect(text(result.stderr)).toBe(
			'vm-exec: The kernel /nonexistent/vmlinuz (from the `kernel` option) does not exist. Point it at a kernel image such as /boot/vmlinuz-<release>.\n',
		);
	});

	it.each([
		[['--frobnicate', 'true'], 'Unknown option `--frobnicate`.'],
		[[], 'Missing the script to run in the VM'],
		[['--quiet'], 'Missing the script to run in the VM'],
		[['--memory=lots', 'true'], 'Expected the `memory` option to be'],
		[['--shared=/nonexistent/dir', 'true'], 'Expected the `shared` option to be an existing host directory'],
	])('rejects %j with a usage error and exits 64', async (args, message) => {
		const result = await runCli(args);
		expect(result.exitCode).toBe(64);
		expect(text(result.stderr)).toContain(`vm-exec: ${message}`);
		expect(text(result.stderr)).toContain('Usage: vm-exec [options] "script"');
		expect(text(result.stdout)).toBe('');
	});

	it('--help prints the usage with the exit codes; --version the version', async () => {
		const help = await runCli(['--help']);
		expect(help.exitCode).toBe(0);
		expect(text(help.stdout)).toMatch(/^Usage: vm-exec \[options\] "script" \[-- \.\.\.extra QEMU options\]/);
		expect(text(help.stdout)).toContain('  69   the VM could not start');
		const version = await runCli(['--version']);
		const manifest = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
		expect(text(version.stdout)).toBe(`${manifest.version}\n`);
	});
});
