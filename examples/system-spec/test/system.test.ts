/**
 * A system-behaviour spec: what Linux does when we change sysctls, add network devices, mount file
 * systems and add users. Everything happens in a VM running the host's kernel over a read-only view of
 * the host's file system, so the host is never touched (and no root is needed on it).
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vm-exec/vitest';

// Most specs share one VM per file (`fileVm`): cheap, but each test must clean up after itself or
// use names no other test uses. Specs load the kernel modules they need (`modprobe`) explicitly.
describe('sysctls', () => {
	test('enabling IPv4 forwarding shows in /proc/sys, not on the host', async ({ fileVm }) => {
		const hostBefore = await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8');
		await fileVm.succeed('sysctl -w net.ipv4.ip_forward=1');
		expect(await fileVm.exec('cat /proc/sys/net/ipv4/ip_forward')).toHaveStdout('1');
		expect(await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).toBe(hostBefore);
	});

	test('rejects a value out of range', async ({ fileVm }) => {
		const result = await fileVm.exec('sysctl -w net.ipv4.ip_default_ttl=0');
		expect(result).toFail();
		expect(result.stderr).toMatch(/Invalid argument/);
	});
});

describe('network devices', () => {
	test('a dummy device gets an address and a route once it is up', async ({ fileVm }) => {
		await fileVm.succeed(`
			modprobe dummy
			ip link add d0 type dummy
			ip addr add 192.0.2.1/24 dev d0
			ip link set d0 up
		`);
		expect(await fileVm.exec('ip -4 -o addr show dev d0')).toHaveStdout(/inet 192\.0\.2\.1\/24/);
		expect(await fileVm.exec('ip route get 192.0.2.77')).toHaveStdout(/dev d0 src 192\.0\.2\.1/);
	});

	test('a veth pair carries pings between its two ends in two network namespaces', async ({ fileVm }) => {
		await fileVm.succeed(`
			modprobe veth
			ip netns add left
			ip netns add right
			ip link add v-left netns left type veth peer name v-right netns right
			ip -n left addr add 198.51.100.1/24 dev v-left
			ip -n right addr add 198.51.100.2/24 dev v-right
			ip -n left link set v-left up
			ip -n right link set v-right up
		`);
		expect(await fileVm.exec('ip netns exec left busybox ping -c 1 -W 5 198.51.100.2')).toSucceed();
		// The device lives in the "right" namespace only.
		expect(await fileVm.exec('test -e /sys/class/net/v-right')).toFail();
	});
});

describe('mounts', () => {
	test('a tmpfs mount enforces its size limit', async ({ fileVm }) => {
		await fileVm.succeed('mkdir -p /mnt/small && mount -t tmpfs -o size=1m small /mnt/small');
		expect(await fileVm.exec('findmnt -n -o FSTYPE /mnt/small')).toHaveStdout('tmpfs');
		const tooBig = await fileVm.exec('head -c 2M /dev/zero > /mnt/small/big');
		expect(tooBig).toFail();
		expect(tooBig.stderr).toMatch(/No space left on device/);
	});

	test('an ext4 image on a loop device keeps files across a remount', async ({ fileVm }) => {
		await fileVm.succeed(`
			modprobe -a loop ext4
			truncate -s 16M /root/disk.img
			mkfs.ext4 -q /root/disk.img
			mkdir -p /mnt/disk
			mount -o loop /root/disk.img /mnt/disk
			echo kept > /mnt/disk/file
			umount /mnt/disk
			mount -o loop /root/disk.img /mnt/disk
		`);
		expect(await fileVm.exec('cat /mnt/disk/file')).toHaveStdout('kept');
		expect(await fileVm.exec('findmnt -n -o SOURCE /mnt/disk')).toHaveStdout(/^\/dev\/loop\d+$/m);
		await fileVm.succeed('umount /mnt/disk');
	});
});

// A fresh VM per test (`vm`) costs a boot each, but nothing leaks between tests.
describe('users', () => {
	test('useradd creates a user with a home directory who can run commands', async ({ vm }) => {
		await vm.succeed('useradd --create-home --shell /bin/sh spec-user');
		expect(await vm.exec('id -un spec-user')).toHaveStdout('spec-user');
		expect(await vm.exec('stat -c %U /home/spec-user')).toHaveStdout('spec-user');
		expect(await vm.exec('setpriv --reuid spec-user --regid spec-user --init-groups id -un')).toHaveStdout('spec-user');
		// The host's /etc/passwd is untouched: the VM wrote to its throw-away overlay.
		expect(await readFile('/etc/passwd', 'utf8')).not.toMatch(/^spec-user:/m);
	});
});
