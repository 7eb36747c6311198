/**
 * `vm-exec doctor`, run as a child process.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import type { Options } from 'execa';
import { AARCH64_ROOT, requireUnpacked } from '../../helpers/arch-dirs.js';
import { assertCliBuilt, runCli } from '../../helpers/built-cli.js';

beforeAll(assertCliBuilt);

// A registry of kept VMs that never exists: the keep tests running in parallel keep VMs in the default one, and
// doctor would add its note about them to the lines these tests check.
const NO_KEPT_VMS = path.join(os.tmpdir(), `vm-exec-doctor-test-no-kept-${process.pid}`);
const runDoctor = (args: readonly string[], options: Options = {}) =>
	runCli(['doctor', ...args], { ...options, env: { VM_EXEC_KEPT_DIR: NO_KEPT_VMS, ...options.env } });

const text = (data: unknown) => Buffer.from(data as Uint8Array).toString('utf8');

describe('vm-exec doctor', () => {
	it('prints one line per check and exits 0 on a host that can run VMs', async () => {
		const result = await runDoctor([]);
		const lines = text(result.stdout).trimEnd().split('\n');
		expect(lines.map((line) => /^(ok|warn|FAIL) +(\S+(?: dir)?)/.exec(line)?.[2])).toEqual([
			'QEMU',
			'KVM',
			'kernel',
			'modules',
			'busybox',
			'shell',
			'cache dir',
			'firmware',
			'bash',
			'readable',
			undefined,
		]);
		expect(lines.at(-1)).toBe('A VM can start on this host.');
		expect(lines[0]).toMatch(/^ok +QEMU +\/\S+qemu-system-x86_64 \(version \d/);
		expect(result.exitCode).toBe(0);
	});

	it('names each missing piece with its fix and exits 1 when a VM cannot start', async () => {
		const result = await runDoctor(['--kernel=/nonexistent/vmlinuz'], {
			env: { VM_EXEC_QEMU: '/nonexistent/qemu', VM_EXEC_CACHE: '/etc/hostname/cache' },
		});
		const output = text(result.stdout);
		expect(output).toMatch(
			/^FAIL +QEMU +QEMU \(\/nonexistent\/qemu\) was not found\. Install it with `sudo apt-get install qemu-system-x86`/m,
		);
		expect(output).toMatch(/^FAIL +kernel +The kernel \/nonexistent\/vmlinuz .* does not exist/m);
		expect(output).toMatch(/^FAIL +cache dir +\/etc\/hostname\/cache is not writable \(ENOTDIR\)\. Fix: set VM_EXEC_CACHE/m);
		expect(output).toMatch(/A VM cannot start on this host: fix the \d FAIL lines above\.\n$/);
		expect(result.exitCode).toBe(1);
	});

	it('--boot also boots a VM and runs a command in it', async () => {
		const result = await runDoctor(['--boot']);
		expect(text(result.stdout)).toMatch(
			/^ok +boot +a VM booted and ran a command in [\d.]+ s \(Linux \S+ x86_64, (KVM|TCG software emulation)\)$/m,
		);
		expect(result.exitCode).toBe(0);
	});

	it('rejects unknown arguments with a usage error (exit 64)', async () => {
		const result = await runDoctor(['--fast']);
		expect(result.exitCode).toBe(64);
		expect(text(result.stderr)).toBe(
			'vm-exec: Unknown option `--fast`.\nUsage: vm-exec doctor [--arch=ARCH] [--root=PATH] [--kernel=PATH] [--boot]   (vm-exec doctor --help for more)\n',
		);
	});
});

describe('vm-exec doctor --arch / --root', () => {
	// CI unpacks it (.ci/run → scripts/install-host-deps.sh --dev); elsewhere this fails with the command to run.
	beforeAll(() => {
		requireUnpacked(AARCH64_ROOT, 'sh scripts/install-host-deps.sh --arch aarch64');
	});

	it('--arch=aarch64 checks the aarch64 QEMU, the arm64 kernel in the busybox root, and says KVM does not apply', async () => {
		const result = await runDoctor(['--arch=aarch64']);
		const output = text(result.stdout);
		const lines = output.trimEnd().split('\n');
		expect(lines.map((line) => /^(ok|warn|FAIL) +(\S+(?: dir)?)/.exec(line)?.[2])).toEqual([
			'QEMU',
			'KVM',
			'kernel',
			'modules',
			'root',
			'busybox',
			'cache dir',
			'readable',
			undefined,
		]);
		expect(output).toMatch(/^ok +QEMU +\/\S+\/qemu-system-aarch64 \(version \d/m);
		expect(output).toMatch(/^ok +KVM +not used for an aarch64 guest: KVM runs only the host's own arch/m);
		expect(output).toContain(`ok    kernel     ${AARCH64_ROOT}/boot/vmlinuz-`);
		expect(output).toMatch(/^ok +kernel +\S+\/vmlinuz-\S+-arm64 \(Linux \S+-arm64, from the root's \/boot\)/m);
		expect(output).toMatch(/^ok +modules +\S+-arm64 has what the guest needs \(virtio_mmio, virtio_console, /m);
		expect(output).toContain(`ok    root       ${AARCH64_ROOT} (where \`install-host-deps.sh --arch aarch64\` puts it) has /bin/sh`);
		expect(output).toMatch(/^ok +busybox +\S+ is a statically linked aarch64 program$/m);
		expect(lines.at(-1)).toBe('An aarch64 VM can start on this host.');
		expect(result.exitCode).toBe(0);
	});

	it('--arch=aarch64 --root=/nonexistent fails on the root and says how to make one', async () => {
		const result = await runDoctor(['--arch=arm64', '--root=/nonexistent']);
		const output = text(result.stdout);
		expect(output).toMatch(
			/^FAIL +root +the aarch64 root \/nonexistent \(from --root\) does not exist\. Fix: pass --root=DIR with an aarch64 userland \(`sh scripts\/install-host-deps\.sh --arch aarch64` unpacks a busybox one/m,
		);
		// The same discovery and words startVm uses: it looks for the kernel in that root's /boot only.
		expect(output).toMatch(/^FAIL +kernel +No aarch64 kernel found in \/nonexistent\/boot: the host's kernels are x86_64\./m);
		expect(output).toMatch(/An aarch64 VM with the root \/nonexistent cannot start on this host: fix the \d FAIL lines above\.\n$/);
		expect(result.exitCode).toBe(1);
	});

	it('rejects an unknown arch with a usage error that lists the accepted ones (exit 64)', async () => {
		const result = await runDoctor(['--arch=sparc']);
		expect(text(result.stderr)).toMatch(/^vm-exec: Expected `--arch` to be x86_64 or aarch64 \(also amd64, x64, arm64\), got `sparc`\.\n/);
		expect(text(result.stdout)).toBe('');
		expect(result.exitCode).toBe(64);
	});

	it('--arch=aarch64 --boot boots an aarch64 VM and runs a command in it', async () => {
		// One emulated aarch64 boot: bounded well inside the test's 120 s even on a loaded machine.
		const result = await runDoctor(['--arch=aarch64', '--boot'], { timeout: 100_000 });
		expect(text(result.stdout)).toMatch(
			/^ok +boot +a VM booted and ran a command in [\d.]+ s \(Linux \S+-arm64 aarch64, TCG software emulation\)$/m,
		);
		expect(result.exitCode).toBe(0);
	}, 110_000);
});
