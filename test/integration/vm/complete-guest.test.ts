/**
 * The guest is a complete Linux system (issue 23): what every system has in /dev and /sys, the root of the
 * mount namespace as the execs' root (user namespaces, firmware, usermode helpers), and a home and account
 * files of its own. The same checks run as the unprivileged CI user in unprivileged.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';

let vm: Vm;
beforeAll(async () => {
	vm = await startVm();
});
afterAll(async () => {
	await vm?.close();
});

describe('a home and account files of its own', () => {
	it("never shows the host's /etc/shadow: every line is a fresh, locked account", async () => {
		const guest = (await vm.succeed('cat /etc/shadow /etc/shadow-')).stdout.trim().split('\n');
		expect(guest.length).toBeGreaterThan(1);
		for (const line of guest) expect(line).toMatch(/^[^:]+:\*::0:99999:7:::$/);
		// Run as root, the test reads the host's file: none of its password fields reaches the guest.
		const host = await readFile('/etc/shadow', 'utf8').catch(() => undefined);
		for (const field of (host ?? '').split('\n').map((line) => line.split(':')[1] ?? '')) {
			if (field.length > 2) expect(guest.join('\n')).not.toContain(field);
		}
	});

	it('has a writable, empty /root for git config --global and the like', async () => {
		const result = await vm.succeed(
			'ls -A /root; stat -c %a /root; git config --global user.name vm-exec && git config --global user.name && touch ~/x',
		);
		expect(result.stdout).toBe('700\nvm-exec\n');
	});

	it('has fresh account files: useradd, chpasswd, su and runuser work', async () => {
		const result = await vm.succeed(
			'grep -c "^root:\\*:" /etc/shadow; useradd -m bob && echo bob:secret | chpasswd && grep -c "^bob:[$]" /etc/shadow && su bob -c "id -un" && runuser -u bob -- whoami && grep -c "^bob:" /etc/gshadow',
		);
		expect(result.stdout).toBe('1\n1\nbob\nbob\n1\n');
	});
});

describe('what a Linux system has', () => {
	it('has /dev/fd and /dev/std{in,out,err}: bash process substitution and >/dev/stderr work', async () => {
		// An exec's stdout and stderr are files (as with `script >out 2>err`): `>/dev/stdout` would truncate
		// what came before, as on any Linux system, so the script appends (>>) once it has written.
		const result = await vm.exec(
			'bash -c "cat <(echo substituted)"; echo to-stderr >/dev/stderr; echo to-stdout >>/dev/stdout; cat /dev/stdin',
			{
				input: 'from-stdin\n',
			},
		);
		expect(result).toMatchObject({ stdout: 'substituted\nto-stdout\nfrom-stdin\n', stderr: 'to-stderr\n', exitCode: 0 });
	});

	it('mounts debugfs, tracefs, configfs, securityfs, bpf and mqueue where the kernel has them', async () => {
		const mounts = (await vm.succeed('cat /proc/mounts')).stdout;
		const table = new Map(
			mounts
				.split('\n')
				.map((line) => line.split(' '))
				.map((fields) => [fields[1], fields[2]]),
		);
		expect(
			Object.fromEntries(
				['/sys/kernel/debug', '/sys/kernel/tracing', '/sys/kernel/config', '/sys/kernel/security', '/sys/fs/bpf', '/dev/mqueue'].map(
					(p) => [p, table.get(p)],
				),
			),
		).toEqual({
			'/sys/kernel/debug': 'debugfs',
			'/sys/kernel/tracing': 'tracefs',
			'/sys/kernel/config': 'configfs',
			'/sys/kernel/security': 'securityfs',
			'/sys/fs/bpf': 'bpf',
			'/dev/mqueue': 'mqueue',
		});
	});

	it('shows the debugfs files a module creates (sunrpc makes /sys/kernel/debug/sunrpc)', async () => {
		await vm.succeed('test ! -e /sys/kernel/debug/sunrpc');
		expect((await vm.succeed('modprobe sunrpc && ls /sys/kernel/debug/sunrpc')).stdout).toMatch(/rpc_clnt/);
	});

	it('sets the function tracer in tracefs', async () => {
		const result = await vm.succeed(
			'echo function >/sys/kernel/tracing/current_tracer && cat /sys/kernel/tracing/current_tracer; echo nop >/sys/kernel/tracing/current_tracer',
			{ timeout: 60_000 },
		);
		expect(result.stdout).toBe('function\n');
	}, 90_000);
});

describe("execs run in the guest's real root", () => {
	it('is the root of its mount namespace, not a chroot', async () => {
		// PID 1 and the exec share one root, and it is the namespace's (/ in mountinfo is the overlay).
		const result = await vm.succeed('test /proc/1/root -ef / && echo same-root; awk \'$5 == "/" { print $9 }\' /proc/self/mountinfo');
		expect(result.stdout).toBe('same-root\noverlay\n');
	});

	it('creates user namespaces, for root and for a user made in the guest', async () => {
		const result = await vm.succeed(
			'unshare -Ur id -u; useradd -m nsuser && runuser -u nsuser -- unshare -Ur sh -c "id -u; cat /proc/self/uid_map"',
		);
		expect(result.stdout.split('\n')[0]).toBe('0');
		expect(result.stdout).toMatch(/^0\n0\n\s+0\s+\d+\s+1\n$/);
	});

	it('runs bubblewrap, rootless, as a user made in the guest (install-host-deps --dev installs it)', async () => {
		const result = await vm.succeed(
			'useradd -m bwuser && runuser -u bwuser -- bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --uid 0 --gid 0 sh -c "id -u; hostname"',
		);
		expect(result.stdout).toMatch(/^0\n\S+\n$/);
	});

	it("loads firmware from the guest's /lib/firmware (test_firmware)", async () => {
		const result = await vm.exec(
			'modprobe test_firmware && mkdir -p /lib/firmware && printf vm-exec-fw >/lib/firmware/vmx-test.bin && ' +
				'echo -n vmx-test.bin >/sys/devices/virtual/misc/test_firmware/trigger_request && dmesg | grep "test_firmware: loaded"',
		);
		expect(result.exitCode, result.stderr).toBe(0);
		// The kernel read the file the guest wrote (10 bytes), not the initramfs's nothing.
		expect(result.stdout).toMatch(/test_firmware: loaded: 10$/m);
	});

	it("runs a core_pattern pipe helper from the guest's root", async () => {
		const result = await vm.succeed(
			'printf "#!/bin/sh\\necho \\$1 >/tmp/core-helper-ran\\ncat >/dev/null\\n" >/usr/local/bin/vmx-core && chmod +x /usr/local/bin/vmx-core && ' +
				'echo "|/usr/local/bin/vmx-core %p" >/proc/sys/kernel/core_pattern && (ulimit -c unlimited; sh -c \'echo $$ >/tmp/crashed; kill -SEGV $$\'); ' +
				'for i in $(seq 50); do test -s /tmp/core-helper-ran && break; sleep 0.1; done; cat /tmp/crashed /tmp/core-helper-ran',
		);
		const [crashed, ran] = result.stdout.split('\n');
		expect(ran).toBe(crashed);
	});
});
