import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVm, type Vm } from '../../../src/index.js';

describe('the guest file system', () => {
	let vm: Vm;
	const marker = `vm-exec-test-${process.pid}-${Date.now()}`;
	beforeAll(async () => {
		vm = await startVm();
	});
	afterAll(async () => {
		await vm?.close();
	});

	it('sees the host file system read-only under an overlay: writes stay in the guest', async () => {
		const hostFiles = [`/etc/${marker}`, path.join(process.cwd(), marker), `/tmp/${marker}`, `/usr/${marker}`];
		const result = await vm.exec(hostFiles.map((file) => `echo guest >${file} && cat ${file}`).join(' && '));
		expect(result.stdout).toBe('guest\n'.repeat(hostFiles.length));
		for (const file of hostFiles) expect(existsSync(file), file).toBe(false);
	});

	it('can change and delete host files in the guest without touching them on the host', async () => {
		const before = readFileSync('/etc/hostname', 'utf8');
		await vm.succeed('echo changed >/etc/hostname && rm /etc/os-release && test ! -e /etc/os-release');
		expect(readFileSync('/etc/hostname', 'utf8')).toBe(before);
		expect(existsSync('/etc/os-release')).toBe(true);
	});

	it('has its own /proc, /sys, /dev, /tmp and /run', async () => {
		const { stdout } = await vm.exec("for d in /proc /sys /dev /tmp /run; do awk -v d=$d '$2 == d { print $2, $3 }' /proc/mounts; done");
		expect(stdout).toBe('/proc proc\n/sys sysfs\n/dev devtmpfs\n/tmp tmpfs\n/run tmpfs\n');
	});

	it('sees files the host writes in its working directory at the same path', async () => {
		const file = path.join(process.cwd(), `.${marker}`);
		writeFileSync(file, 'from the host\n');
		try {
			expect((await vm.exec(`cat ${file}`)).stdout).toBe('from the host\n');
		} finally {
			rmSync(file);
		}
	});

	it('loads host kernel modules and creates devices', async () => {
		const { stdout } = await vm.succeed(
			'modprobe dummy && ip link add d0 type dummy && ip -br link show d0 && test -e /sys/class/net/d0 && lsmod | grep -c ^dummy',
		);
		expect(stdout).toMatch(/^d0 +DOWN .*\n1\n$/);
	});

	it('loads modules on demand, as a real system does', async () => {
		const { stdout } = await vm.succeed(
			'ip link add v0 type veth peer name v1 && truncate -s 16M /tmp/disk.img && mkfs.ext4 -q /tmp/disk.img && mkdir -p /mnt/disk && mount -o loop /tmp/disk.img /mnt/disk && lsmod | grep -o -E "^(veth|loop) " | sort',
		);
		expect(stdout).toBe('loop \nveth \n');
	});

	it('has the device nodes of modules.devname, whose first open loads their module', async () => {
		const { stdout } = await vm.succeed(
			'awk \'!/^#/ && NF == 3 { print $2, substr($3, 1, 1) }\' "/lib/modules/$(uname -r)/modules.devname" | while read -r name kind; do test -$kind "/dev/$name" && echo ok || echo "missing /dev/$name"; done | sort | uniq -c',
		);
		expect(stdout).toMatch(/^ +\d+ ok\n$/);
	});

	it('changes sysctls and mounts file systems in the guest only', async () => {
		const hostForwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
		await vm.succeed('sysctl -w net.ipv4.ip_forward=1 >/dev/null && test "$(cat /proc/sys/net/ipv4/ip_forward)" = 1');
		await vm.succeed('mkdir -p /mnt/t && mount -t tmpfs -o size=1M t /mnt/t && echo x >/mnt/t/f && grep -q " /mnt/t tmpfs" /proc/mounts');
		expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(hostForwarding);
	});
});

describe('a working directory of exactly /tmp', () => {
	it('does not hide the shared directory', async () => {
		await using vm = await startVm({ cwd: '/tmp', shared: true });
		await vm.succeed('echo hello >/tmp/shared/note');
		expect(readFileSync(path.join(vm.sharedDir!, 'note'), 'utf8')).toBe('hello\n');
		expect((await vm.exec('pwd')).stdout).toBe('/tmp\n');
	});
});

describe('a working directory the guest would hide', () => {
	let dir: string;
	let vm: Vm | undefined;
	beforeAll(() => {
		dir = mkdtempSync(path.join(os.tmpdir(), 'vm-exec-cwd-'));
		writeFileSync(path.join(dir, 'input.txt'), 'visible\n');
	});
	afterAll(async () => {
		await vm?.close();
		rmSync(dir, { recursive: true, force: true });
	});

	it('is visible under /tmp in the guest, writable there, and unchanged on the host', async () => {
		vm = await startVm({ cwd: dir });
		const { stdout } = await vm.succeed('pwd; cat input.txt; echo new >output.txt; cat output.txt');
		expect(stdout).toBe(`${dir}\nvisible\nnew\n`);
		expect(existsSync(path.join(dir, 'output.txt'))).toBe(false);
	});
});
