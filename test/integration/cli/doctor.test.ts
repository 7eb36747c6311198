/**
 * `vm-exec doctor`, run as a child process.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import type { Options } from 'execa';
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
			/^ok +boot +a VM booted and ran a command in [\d.]+ s \(Linux \S+, (KVM|TCG software emulation)\)$/m,
		);
		expect(result.exitCode).toBe(0);
	});

	it('rejects unknown arguments with a usage error (exit 64)', async () => {
		const result = await runDoctor(['--fast']);
		expect(result.exitCode).toBe(64);
		expect(text(result.stderr)).toBe(
			'vm-exec: Unknown option `--fast`.\nUsage: vm-exec doctor [--kernel=PATH] [--boot]   (vm-exec doctor --help for more)\n',
		);
	});
});
