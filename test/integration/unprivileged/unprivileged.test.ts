/**
 * Everything as an unprivileged host user, as most users run vitest: the README's commands, the complete
 * guest's checks (the same script as root gets the same result), a Vitest spec with `vm` and `fileVm`, the
 * examples (system-spec, kernel-module, nix-image, snapshots, jest, cli, disk-image) and `vm-exec doctor`.
 * Run as root (CI), the commands run as the user `vmexec-ci` (created when missing) through setpriv, on a
 * copy of the build that user can read; run as anyone else, they run as that user. For nix-image, run as
 * root, the user joins the group `nix-users` and a nix-daemon is started when none answers (and stopped).
 */
import { constants } from 'node:fs';
import { access, chmod, chown, copyFile, cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa, type Options } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findKernel } from '../../../src/kernel/kernel.js';
import { readJsonReport, repoRoot } from '../../helpers/runner-projects.js';

const CI_USER = 'vmexec-ci';
const asRoot = process.getuid?.() === 0;

interface User {
	name: string;
	uid: number;
	gid: number;
	home: string;
}

async function ensureUser(): Promise<User> {
	if (!asRoot) {
		const me = os.userInfo();
		return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir };
	}
	const known = await execa('getent', ['passwd', CI_USER], { reject: false });
	if (known.exitCode !== 0) await execa('useradd', ['--create-home', '--shell', '/bin/sh', CI_USER]);
	const [name, , uid, gid, , home] = (await execa('getent', ['passwd', CI_USER])).stdout.split(':');
	return { name: name!, uid: Number(uid), gid: Number(gid), home: home! };
}

/** Whether `user` can read `file`: the file readable, every directory above it searchable (owner or others bits). */
async function readableBy(file: string, user: User): Promise<boolean> {
	for (let current = file; ; current = path.dirname(current)) {
		const info = await stat(current);
		const bit = current === file ? 0o4 : 0o1;
		if ((info.mode & (info.uid === user.uid ? bit << 6 : bit)) === 0) return false;
		if (current === '/') return true;
	}
}

/** Whether nix-daemon answers on its socket (as `user`: through the socket's group). */
async function nixDaemonAnswers(asUser: (args: string[]) => string[]): Promise<boolean> {
	const ping = asUser(['nix', '--extra-experimental-features', 'nix-command', 'store', 'ping', '--store', 'daemon']);
	return (await execa(ping[0]!, ping.slice(1), { reject: false, timeout: 20_000 })).exitCode === 0;
}

/**
 * As on NixOS, a user other than root builds through nix-daemon (Debian's nix-bin store belongs to root).
 * Run as root (CI), the test puts the user in the daemon's group and starts a daemon when none answers;
 * the returned function stops the one it started. Run as anyone else, the user's own daemon must answer.
 */
async function ensureNixDaemon(user: User): Promise<() => Promise<void>> {
	const asUser = (args: string[]) =>
		asRoot ? ['setpriv', `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', 'env', `HOME=${user.home}`, ...args] : args;
	if (!asRoot || (await nixDaemonAnswers(asUser))) return async () => {};
	await execa('gpasswd', ['-a', user.name, 'nix-users']);
	if (await nixDaemonAnswers(asUser)) return async () => {};
	const daemon = execa('nix-daemon', [], { reject: false, stdio: 'ignore' });
	const deadline = Date.now() + 20_000;
	while (!(await nixDaemonAnswers(asUser))) {
		if (Date.now() > deadline) {
			daemon.kill();
			throw new Error('nix-daemon did not answer within 20 s');
		}
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
	return async () => {
		daemon.kill();
		await daemon;
	};
}

describe('as an unprivileged host user', () => {
	let user: User;
	let work: string;
	/** The vm-exec package as the user sees it: this repository, or a copy of its build. */
	let pkg: string;
	let run: (args: string[], options?: Options) => ReturnType<typeof execa>;

	beforeAll(async () => {
		user = await ensureUser();
		work = await mkdtemp(path.join(os.tmpdir(), 'vm-exec-unprivileged-'));
		await chmod(work, 0o755);
		pkg = repoRoot.replace(/\/$/, '');
		if (!(await readableBy(path.join(pkg, 'dist/cli/main.js'), user))) {
			// CI clones into root's home, which no one else can enter: give the user a copy of the build.
			pkg = path.join(work, 'vm-exec');
			await mkdir(pkg);
			for (const entry of ['dist', 'package.json', 'node_modules']) {
				await cp(path.join(repoRoot, entry), path.join(pkg, entry), { recursive: true, verbatimSymlinks: true });
			}
		}
		if (asRoot) await chown(work, user.uid, user.gid);
		const env = {
			HOME: user.home,
			USER: user.name,
			LOGNAME: user.name,
			PATH: '/usr/local/bin:/usr/bin:/bin',
			NO_COLOR: '1',
			...(process.env.VM_EXEC_TEST_RUN ? { VM_EXEC_TEST_RUN: process.env.VM_EXEC_TEST_RUN } : {}),
		};
		run = (args, options = {}) =>
			execa(
				asRoot ? 'setpriv' : args[0]!,
				asRoot ? [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...args] : args.slice(1),
				// No input: the CLI reads its stdin when it is not a terminal.
				{ reject: false, all: true, env, extendEnv: false, cwd: work, stdin: 'ignore', ...options },
			);
	});
	afterAll(async () => {
		if (work) await rm(work, { recursive: true, force: true });
	});

	it("runs the README's first command, with the cache in the user's ~/.cache", async () => {
		const result = await run([
			process.execPath,
			path.join(pkg, 'dist/cli/main.js'),
			'modprobe dummy && ip link add d0 type dummy && ip -br link show d0',
		]);
		expect(result.exitCode, String(result.all)).toBe(0);
		expect(String(result.stdout)).toMatch(/^d0\s+DOWN/);
		const cache = await stat(path.join(user.home, '.cache/vm-exec'));
		expect(cache.uid).toBe(user.uid);
	});

	it("never shows the host's protected files, gives the guest its own, and leaves host files unchanged", async () => {
		const mine = path.join(work, 'mine.txt');
		await writeFile(mine, 'host copy\n');
		if (asRoot) await chown(mine, user.uid, user.gid);
		const result = await run([
			process.execPath,
			path.join(pkg, 'dist/cli/main.js'),
			`cat /etc/shadow; echo "exit $?"; echo changed >${mine}; grep -q changed ${mine}; rm -f ${mine}; touch ${work}/made-in-guest /etc/made-in-guest; test ! -e ${mine}`,
		]);
		expect(result.exitCode, String(result.all)).toBe(0);
		expect(String(result.stdout)).toMatch(/^exit 0$/m);
		const guestShadow = String(result.stdout)
			.split('\n')
			.filter((line) => line.includes(':'));
		expect(guestShadow.length).toBeGreaterThan(1);
		for (const line of guestShadow) expect(line).toMatch(/^[^:]+:\*::0:99999:7:::$/);
		// The host user cannot read the host's /etc/shadow; run as root, this test can: none of it is in the guest.
		expect(await readableBy('/etc/shadow', user)).toBe(false);
		const host = await readFile('/etc/shadow', 'utf8').catch(() => '');
		for (const field of host.split('\n').map((line) => line.split(':')[1] ?? '')) {
			if (field.length > 2) expect(String(result.stdout)).not.toContain(field);
		}
		expect(await readFile(mine, 'utf8')).toBe('host copy\n');
		await expect(access(path.join(work, 'made-in-guest'))).rejects.toThrow();
		await expect(access('/etc/made-in-guest')).rejects.toThrow();
	});

	it('gets the same complete guest as root: /dev/fd, debugfs, user namespaces, firmware, core_pattern, HOME, accounts', async () => {
		const script = [
			'bash -c "cat <(echo substituted)"',
			'echo to-stderr >/dev/stderr',
			'modprobe sunrpc && test -d /sys/kernel/debug/sunrpc && echo debugfs',
			'unshare -Ur id -u',
			'git config --global user.name vm-exec && git config --global user.name',
			'useradd -m bob && echo bob:secret | chpasswd && su bob -c "unshare -Ur id -u"',
			'modprobe test_firmware && mkdir -p /lib/firmware && printf vm-exec-fw >/lib/firmware/vmx-test.bin',
			'echo -n vmx-test.bin >/sys/devices/virtual/misc/test_firmware/trigger_request && dmesg | grep -o "test_firmware: loaded: 10"',
			'printf "#!/bin/sh\\necho ran >/tmp/core-helper-ran\\ncat >/dev/null\\n" >/usr/local/bin/vmx-core && chmod +x /usr/local/bin/vmx-core',
			'echo "|/usr/local/bin/vmx-core" >/proc/sys/kernel/core_pattern && (ulimit -c unlimited; sh -c "kill -SEGV \\$\\$" || true)',
			'for i in $(seq 50); do test -s /tmp/core-helper-ran && break; sleep 0.1; done; cat /tmp/core-helper-ran',
		].join('\n');
		const result = await run([process.execPath, path.join(pkg, 'dist/cli/main.js'), '--quiet', `set -e\n${script}`]);
		expect(result.exitCode, String(result.all)).toBe(0);
		// execa strips the final newline.
		expect(String(result.stdout)).toBe('substituted\ndebugfs\n0\nvm-exec\n0\ntest_firmware: loaded: 10\nran');
		expect(String(result.stderr)).toBe('to-stderr');
	}, 180_000);

	it("runs the README's other commands: a tar piped in, and a disk image built in the VM and read on the host", async () => {
		const tar = (await execa('tar', ['-c', '-C', repoRoot, 'src/guest'], { encoding: 'buffer' })).stdout;
		const piped = await run([process.execPath, path.join(pkg, 'dist/cli/main.js'), 'mkdir /build && tar -x -C /build && ls /build/src'], {
			stdin: 'pipe',
			input: tar,
		});
		expect(piped.exitCode, String(piped.all)).toBe(0);
		expect(String(piped.stdout)).toBe('guest');
		const content = path.join(work, 'content');
		await mkdir(path.join(content, 'etc'), { recursive: true });
		await writeFile(path.join(content, 'etc/motd'), 'made by vmexec-ci\n');
		if (asRoot) await execa('chown', ['-R', `${user.uid}:${user.gid}`, content]);
		const image = await run([
			process.execPath,
			path.join(pkg, 'dist/cli/main.js'),
			'--disk=disk.img:64M',
			`echo start=2048,type=83 | sfdisk -q /dev/vda && mkfs.ext4 -q /dev/vda1 && mount /dev/vda1 /mnt && cp -a ${content}/. /mnt/ && umount /mnt`,
		]);
		expect(image.exitCode, String(image.all)).toBe(0);
		const motd = await run(['/sbin/debugfs', '-R', 'cat /etc/motd', 'disk.img?offset=1048576']);
		expect(String(motd.stdout)).toBe('made by vmexec-ci');
	}, 300_000);

	it("gets the kernel's verdict: the CLI's notice, and exit 71 with --kernel-reports=fail", async () => {
		// A write to /proc/sys/kernel/tainted sets the bits written: 512 is W ("kernel issued warning").
		const script = 'echo 512 >/proc/sys/kernel/tainted; echo done';
		const cli = path.join(pkg, 'dist/cli/main.js');
		const noticed = await run([process.execPath, cli, '--quiet', script]);
		expect(noticed.exitCode, String(noticed.all)).toBe(0);
		expect(String(noticed.stderr)).toMatch(/^vm-exec: the guest kernel reported a problem while the script ran/m);
		expect(String(noticed.stderr)).toMatch(/the kernel became tainted: W \(kernel issued warning\)/);
		const failed = await run([process.execPath, cli, '--quiet', '--kernel-reports=fail', script]);
		expect(failed.exitCode, String(failed.all)).toBe(71);
		expect(String(failed.stdout)).toBe('done');
	}, 120_000);

	it('runs vm-exec doctor', async () => {
		const result = await run([process.execPath, path.join(pkg, 'dist/cli/main.js'), 'doctor']);
		expect(result.exitCode, String(result.all)).toBe(0);
		expect(String(result.all)).toContain(path.join(user.home, '.cache/vm-exec'));
	});

	it('names a root-only kernel image and the fix (as Ubuntu installs them)', async () => {
		const kernel = await findKernel({});
		const rootOnly = path.join(work, 'vmlinuz-root-only');
		await copyFile(kernel.path, rootOnly);
		await chmod(rootOnly, asRoot ? 0o600 : 0o000);
		const result = await run([process.execPath, path.join(pkg, 'dist/cli/main.js'), `--kernel=${rootOnly}`, 'true'], {
			env: { HOME: user.home, PATH: '/usr/bin:/bin', VM_EXEC_MODULES: kernel.modulesDir },
		});
		expect(result.exitCode).not.toBe(0);
		expect(String(result.stderr)).toContain(`The kernel ${rootOnly} is not readable by this user`);
		expect(String(result.stderr)).toContain(`sudo chmod 0644 ${rootOnly}`);
	});

	/** A project in the user's work dir whose node_modules link vm-exec and the tools, as after `npm install`. */
	async function project(name: string, files: Record<string, string> | string): Promise<string> {
		const dir = path.join(work, name);
		if (typeof files === 'string') await cp(files, dir, { recursive: true });
		else {
			for (const [file, text] of Object.entries(files)) {
				await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
				await writeFile(path.join(dir, file), text);
			}
		}
		await mkdir(path.join(dir, 'node_modules'), { recursive: true });
		await symlink(pkg, path.join(dir, 'node_modules/vm-exec'));
		await symlink(path.join(pkg, 'node_modules/vitest'), path.join(dir, 'node_modules/vitest'));
		if (asRoot) await execa('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
		return dir;
	}

	async function vitest(dir: string): Promise<{ passed: number; others: string[]; output: string }> {
		const report = path.join(dir, 'report.json');
		const result = await run(
			[
				process.execPath,
				path.join(pkg, 'node_modules/vitest/vitest.mjs'),
				'run',
				'--reporter=default',
				'--reporter=json',
				`--outputFile.json=${report}`,
			],
			{ cwd: dir },
		);
		const tests = [...(await readJsonReport(report).catch(() => new Map())).values()];
		return {
			passed: tests.filter((test) => test.status === 'passed').length,
			others: tests.filter((test) => test.status !== 'passed').map((test) => `${test.status}: ${test.title}`),
			output: `exit code ${result.exitCode}\n${result.all}`,
		};
	}

	it('runs a Vitest spec with the vm and fileVm fixtures', async () => {
		const dir = await project('spec', {
			'package.json': '{ "type": "module", "private": true }\n',
			'vitest.config.js': 'export default { test: { testTimeout: 120000, hookTimeout: 120000 } };\n',
			'test/vm.test.js': `import { expect, test } from 'vm-exec/vitest';
test('vm: a fresh VM, root in the guest', async ({ vm }) => {
	expect(await vm.exec('id -u')).toHaveStdout('0');
});
test("fileVm: one VM for the file, with the guest's own account files", async ({ fileVm }) => {
	await fileVm.succeed('modprobe dummy && ip link add d1 type dummy');
	expect(await fileVm.exec('grep -c "^root:[*]:" /etc/shadow')).toHaveStdout('1');
});
`,
		});
		const { passed, others, output } = await vitest(dir);
		expect(others, output).toEqual([]);
		expect(passed, output).toBe(2);
	}, 600_000);

	it('runs the system-spec example: sysctls, network devices, mounts and users (useradd) in the guest', async () => {
		const dir = await project('system-spec', path.join(repoRoot, 'examples/system-spec'));
		const { passed, others, output } = await vitest(dir);
		expect(others, output).toEqual([]);
		expect(passed, output).toBe(7);
	}, 600_000);

	it('runs the kernel-module example: the module built on the host by the user, loaded in the guest, its warning caught', async () => {
		const dir = await project('kernel-module', path.join(repoRoot, 'examples/kernel-module'));
		const { passed, others, output } = await vitest(dir);
		expect(others, output).toEqual([]);
		expect(passed, output).toBe(5);
	}, 600_000);

	it('runs the nix-image example: a closure built through nix-daemon, installed into an image by nix copy in the guest', async () => {
		const stopDaemon = await ensureNixDaemon(user);
		try {
			const dir = await project('nix-image', path.join(repoRoot, 'examples/nix-image'));
			const { passed, others, output } = await vitest(dir);
			expect(others, output).toEqual([]);
			expect(passed, output).toBe(5);
		} finally {
			await stopDaemon();
		}
	}, 600_000);

	it('runs the snapshots example: five fresh VMs, each from the snapshot, none seeing what the last one broke', async () => {
		const dir = await project('snapshots', path.join(repoRoot, 'examples/snapshots'));
		const result = await run([process.execPath, 'fresh-vms.js'], { cwd: dir });
		expect(result.exitCode, String(result.all)).toBe(0);
		expect(String(result.stdout).match(/saw: clean system$/gm), String(result.all)).toHaveLength(5);
	}, 300_000);

	it('runs the Jest example: a VM per describe block and per test', async () => {
		const dir = await project('jest', path.join(repoRoot, 'examples/jest'));
		await symlink(path.join(pkg, 'node_modules/jest'), path.join(dir, 'node_modules/jest'));
		const report = path.join(dir, 'report.json');
		const result = await run(
			[process.execPath, '--experimental-vm-modules', path.join(pkg, 'node_modules/jest/bin/jest.js'), '--json', `--outputFile=${report}`],
			{ cwd: dir },
		);
		const tests = [...(await readJsonReport(report).catch(() => new Map())).values()];
		const output = `exit code ${result.exitCode}\n${result.all}`;
		expect(
			tests.filter((test) => test.status !== 'passed').map((test) => test.title),
			output,
		).toEqual([]);
		expect(tests, output).toHaveLength(5);
	}, 600_000);

	it('runs the cli example: make-disk-image.sh builds an image with `npx vm-exec`', async () => {
		const dir = await project('cli', path.join(repoRoot, 'examples/cli'));
		await mkdir(path.join(dir, 'node_modules/.bin'), { recursive: true });
		await symlink(path.join(pkg, 'dist/cli/main.js'), path.join(dir, 'node_modules/.bin/vm-exec'));
		await mkdir(path.join(dir, 'content'));
		await writeFile(path.join(dir, 'content/hello.txt'), 'from the cli example\n');
		if (asRoot) await execa('chown', ['-R', `${user.uid}:${user.gid}`, dir]);
		const result = await run(['bash', 'make-disk-image.sh', 'content', 'cli.img'], { cwd: dir });
		expect(result.exitCode, String(result.all)).toBe(0);
		const hello = await run(['/sbin/debugfs', '-R', 'cat /hello.txt', 'cli.img'], { cwd: dir });
		expect(String(hello.stdout)).toBe('from the cli example');
	}, 300_000);

	it('runs the disk-image example: an image built and checked without root', async () => {
		const dir = await project('disk-image', path.join(repoRoot, 'examples/disk-image'));
		await rm(path.join(dir, 'node_modules/typescript'), { force: true });
		const { passed, others, output } = await vitest(dir);
		expect(others, output).toEqual([]);
		expect(passed, output).toBe(3);
	}, 600_000);

	it('runs kernel selftests through vm-exec/kselftest and TAP through execTap', async () => {
		const passes = "#!/bin/sh\necho 'TAP version 13'; echo '1..2'; echo \"ok 1 runs as uid $(id -u)\"; echo 'ok 2 # SKIP no device'\n";
		const skips = "#!/bin/sh\necho '1..0 # SKIP needs CONFIG_DEMO'; exit 4\n";
		const dir = await project('kselftest', {
			'package.json': '{ "type": "module", "private": true }\n',
			'vitest.config.js': 'export default { test: { hookTimeout: 120000 } };\n',
			'install/kselftest-list.txt': 'demo:passes\ndemo:skips\n',
			'install/demo/passes': passes,
			'install/demo/skips': skips,
			'test/kselftest.test.js': `import { fileURLToPath } from 'node:url';
import { execTap } from 'vm-exec';
import { describeKselftests } from 'vm-exec/kselftest';
import { expect, test } from 'vm-exec/vitest';
describeKselftests(fileURLToPath(new URL('../install', import.meta.url)));
test('execTap', async ({ vm }) => {
	expect(await execTap(vm, "echo '1..1'; echo 'ok 1 tap'")).toPassTap();
});
`,
		});
		await chmod(path.join(dir, 'install/demo/passes'), 0o755);
		await chmod(path.join(dir, 'install/demo/skips'), 0o755);
		const { passed, others, output } = await vitest(dir);
		expect(others, output).toEqual(['skipped: skips']);
		expect(passed, output).toBe(2);
		expect(output).toMatch(/demo:passes ✓ 1 runs as uid 0/);
	}, 600_000);
});
