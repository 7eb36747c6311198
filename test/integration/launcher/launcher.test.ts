/**
 * startVm({ launcher }): every exec is one run of an external launcher with the seed's interface. The
 * launcher here is this project's own CLI, which has that interface.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { startVm, VmBootError, VmExecError } from '../../../src/index.js';
import { assertCliBuilt, CLI_PATH } from '../../helpers/built-cli.js';

const launcher = [process.execPath, CLI_PATH];

beforeAll(assertCliBuilt);

describe('startVm({ launcher })', () => {
	it('returns the output and exit status of each launcher run', async () => {
		await using vm = await startVm({ launcher });
		const result = await vm.exec('echo out; echo err >&2; exit 7');
		expect(result).toMatchObject({ stdout: 'out\n', stderr: 'err\n', exitCode: 7, timedOut: false, isCanceled: false });
		await expect(vm.succeed('exit 3')).rejects.toThrow(VmExecError);
	});

	it('passes env, cwd and input to the script', async () => {
		await using vm = await startVm({ launcher, env: { FROM_VM: 'vm level' } });
		const result = await vm.exec('echo "$FROM_VM/$FROM_EXEC"; pwd; cat', {
			env: { FROM_EXEC: "it's exec level" },
			cwd: '/usr/share',
			input: 'piped input',
		});
		expect(result.stdout).toBe("vm level/it's exec level\n/usr/share\npiped input");
	});

	it('gives each run the shared directory and the QEMU options', async () => {
		await using vm = await startVm({ launcher, shared: true, qemuArgs: ['-m', '384M'] });
		const sharedDir = vm.sharedDir!;
		await writeFile(`${sharedDir}/from-host`, 'host\n');
		const result = await vm.exec(
			"cat /tmp/shared/from-host; echo guest > /tmp/shared/from-guest; awk '/MemTotal/ { print ($2 > 300000) }' /proc/meminfo",
		);
		expect(result.stdout).toBe('host\n1\n');
		expect(await readFile(`${sharedDir}/from-guest`, 'utf8')).toBe('guest\n');
		await vm.close();
		await expect(stat(sharedDir)).rejects.toThrow(/ENOENT/);
	});

	it('streams output while the launcher runs, and stops the launcher and its VM when the signal aborts', async () => {
		await using vm = await startVm({ launcher });
		const controller = new AbortController();
		const marker = `launcher-test-${process.pid}-${Date.now()}`;
		const chunks: string[] = [];
		let processes: Promise<number[]> | undefined;
		const result = await vm.exec(`echo started; sleep 600 # ${marker}`, {
			signal: controller.signal,
			onStdout: (chunk) => {
				chunks.push(chunk.toString());
				// The launcher's command line holds the script (and so the marker); QEMU is its child.
				processes ??= (async () => {
					const launcherPids = (await execa('pgrep', ['-f', marker], { reject: false })).stdout.split('\n').filter(Boolean);
					const children = await Promise.all(
						launcherPids.map(async (pid) => (await execa('pgrep', ['-P', pid], { reject: false })).stdout.split('\n').filter(Boolean)),
					);
					controller.abort();
					return [...launcherPids, ...children.flat()].map(Number);
				})();
			},
		});
		expect(chunks.join('')).toBe('started\n');
		expect(result.isCanceled).toBe(true);
		const pids = await processes!;
		expect(pids.length).toBeGreaterThanOrEqual(2);
		for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
	});

	it('fails to start when the launcher does not exist', async () => {
		await expect(startVm({ launcher: ['/nonexistent/run-vm-exec'] })).rejects.toThrow(VmBootError);
		await expect(startVm({ launcher: ['/nonexistent/run-vm-exec'] })).rejects.toThrow(
			'The launcher `/nonexistent/run-vm-exec` was not found or is not executable.',
		);
	});

	it("says that the kernel and accelerator are the launcher's to know", async () => {
		await using vm = await startVm({ launcher });
		expect(() => vm.accel).toThrow('vm.accel is not known for a VM started by a launcher');
		expect(() => vm.kernel).toThrow('vm.kernel is not known for a VM started by a launcher');
		expect(vm.qemuArgv).toEqual(launcher);
	});
});
