import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startVm } from '../../../src/index.js';

/**
 * The guest runs scripts with the host's /bin/sh. Normally the initramfs carries a copy of it that starts
 * before the snapshot point and is then moved into the guest's root (pivot_root); VM_EXEC_GUEST_SHELL
 * can turn that off, and a copy that cannot run falls back to starting the host's shell after boot.
 * Each way must give scripts the same world.
 */
const WORLD = [
	'echo "0=$0"',
	// The root is the overlay over the host's /, and nothing of the initramfs shows.
	`awk '$2 == "/" { fs = $3 } END { print "root=" fs }' /proc/mounts`,
	'ls -A / | tr "\\n" " "; echo',
	'test ! -e /.vmx && test ! -e /stage && echo "no initramfs"',
	// PID 1's control port (fd 3) and the runner's pipes (fds 4 and 5) are not passed on to scripts.
	`sh -c 'for fd in 3 4 5; do test -e /proc/self/fd/$fd && echo "fd $fd open"; done; echo fds checked'`,
	'modprobe dummy && ip link add d0 type dummy && ip -br link show d0 | cut -d" " -f1',
].join('\n');

function expectedWorld(): string {
	const rootEntries = readdirSync('/').sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	return ['0=/bin/sh', 'root=overlay', `${rootEntries.join(' ')} `, 'no initramfs', 'fds checked', 'd0', ''].join('\n');
}

describe("the guest's runner shell", () => {
	const saved = process.env.VM_EXEC_GUEST_SHELL;
	afterEach(() => {
		if (saved === undefined) delete process.env.VM_EXEC_GUEST_SHELL;
		else process.env.VM_EXEC_GUEST_SHELL = saved;
	});

	it('gives scripts the same world on the CPU model for hosts built for x86-64-v2 or v3 (-cpu max)', async () => {
		// On such hosts (RHEL 9, RHEL 10) vm-exec picks -cpu max; here the option forces it.
		await using vm = await startVm({ qemuArgs: ['-cpu', 'max'], snapshot: false });
		expect(vm.qemuArgv.slice(-2)).toEqual(['-cpu', 'max']);
		const { stdout } = await vm.succeed(WORLD, { env: { LC_ALL: 'C' } });
		expect(stdout).toBe(expectedWorld());
		// x86-64-v2's additions over baseline (QEMU's default CPU model has none of them).
		const flags = (await vm.succeed("grep -m1 '^flags' /proc/cpuinfo")).stdout.split(/\s+/);
		expect(flags).toEqual(expect.arrayContaining(['ssse3', 'sse4_1', 'sse4_2', 'popcnt', 'cx16']));
	});

	it('runs scripts in the guest root with the host shell, started before the snapshot point', async () => {
		await using vm = await startVm();
		const { stdout } = await vm.succeed(WORLD, { env: { LC_ALL: 'C' } });
		expect(stdout).toBe(expectedWorld());
		expect(vm.consoleLog).not.toContain('did not start');
	});

	it('gives scripts the same world when the host shell starts after boot (VM_EXEC_GUEST_SHELL=none)', async () => {
		process.env.VM_EXEC_GUEST_SHELL = 'none';
		await using vm = await startVm({ snapshot: false });
		expect((await vm.succeed(WORLD, { env: { LC_ALL: 'C' } })).stdout).toBe(expectedWorld());
	});

	it('falls back to starting the host shell after boot when the carried copy cannot run', async () => {
		// /bin/false is a dynamically linked program that exits at once, like a shell copy that cannot start.
		process.env.VM_EXEC_GUEST_SHELL = '/bin/false';
		await using vm = await startVm({ snapshot: false });
		expect((await vm.succeed(WORLD, { env: { LC_ALL: 'C' } })).stdout).toBe(expectedWorld());
		expect(vm.consoleLog).toContain("the copy of the host's shell did not start");
		expect(vm.consoleLog).not.toContain('restarting');
	});

	it('runs scripts with the shell option, sourced as they are (bash: its features, its line numbers)', async () => {
		await using vm = await startVm({ shell: '/bin/bash' });
		const result = await vm.exec('[[ -n $BASH_VERSION ]] && echo "bash $SHELL $0"\nno_such_command_here');
		expect(result.stdout).toBe('bash /bin/bash /bin/bash\n');
		expect(result.stderr).toMatch(/line 2: no_such_command_here: command not found/);
	});

	it('refuses a shell that is not an executable file on the host, before booting', async () => {
		await expect(startVm({ shell: '/nonexistent/sh' })).rejects.toThrow(
			'The shell /nonexistent/sh (from the `shell` option) is not an executable file on the host. Point `shell` at one, such as /bin/bash.',
		);
	});
});
