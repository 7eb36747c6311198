import { describe, expect, it } from 'vitest';
import { packCpio } from '../../../src/boot/cpio.js';
import { parseModulesDevname } from '../../../src/boot/devnames.js';
import { initramfsEntries } from '../../../src/boot/initramfs.js';

const DEVNAME = [
	'# Device nodes to trigger on-demand module loading.',
	'fuse fuse c10:229',
	'tun net/tun c10:200',
	'dm_mod mapper/control c10:236',
	'some_blk blk0 b7:0',
	'evil ../etc/passwd c1:3',
	'',
].join('\n');

describe('parseModulesDevname', () => {
	it('reads the nodes of modules.devname and skips comments and unsafe names', () => {
		expect(parseModulesDevname(DEVNAME)).toEqual([
			{ module: 'fuse', name: 'fuse', kind: 'char', major: 10, minor: 229 },
			{ module: 'tun', name: 'net/tun', kind: 'char', major: 10, minor: 200 },
			{ module: 'dm_mod', name: 'mapper/control', kind: 'char', major: 10, minor: 236 },
			{ module: 'some_blk', name: 'blk0', kind: 'block', major: 7, minor: 0 },
		]);
	});
});

describe('device nodes in the initramfs', () => {
	it('carries each node under etc/vm-exec/dev, with the directories it needs, next to the control line and mount points', () => {
		const entries = initramfsEntries({ busybox: Buffer.from('bb'), applets: [], modules: [], devnames: DEVNAME });
		const dev = entries.filter((entry) => entry.path.startsWith('etc/vm-exec/dev'));
		expect(dev).toEqual([
			{ type: 'dir', path: 'etc/vm-exec/dev' },
			{ type: 'symlink', path: 'etc/vm-exec/dev/vmx-control', target: 'ttyS1' },
			{ type: 'dir', path: 'etc/vm-exec/dev/pts' },
			{ type: 'dir', path: 'etc/vm-exec/dev/shm' },
			{ type: 'symlink', path: 'etc/vm-exec/dev/fd', target: '/proc/self/fd' },
			{ type: 'symlink', path: 'etc/vm-exec/dev/stdin', target: '/proc/self/fd/0' },
			{ type: 'symlink', path: 'etc/vm-exec/dev/stdout', target: '/proc/self/fd/1' },
			{ type: 'symlink', path: 'etc/vm-exec/dev/stderr', target: '/proc/self/fd/2' },
			{ type: 'dir', path: 'etc/vm-exec/dev-kcore' },
			{ type: 'symlink', path: 'etc/vm-exec/dev-kcore/core', target: '/proc/kcore' },
			{ type: 'fifo', path: 'etc/vm-exec/dev/vmx-taint' },
			{ type: 'chardev', path: 'etc/vm-exec/dev/fuse', major: 10, minor: 229, mode: 0o600 },
			{ type: 'dir', path: 'etc/vm-exec/dev/net' },
			{ type: 'chardev', path: 'etc/vm-exec/dev/net/tun', major: 10, minor: 200, mode: 0o600 },
			{ type: 'dir', path: 'etc/vm-exec/dev/mapper' },
			{ type: 'chardev', path: 'etc/vm-exec/dev/mapper/control', major: 10, minor: 236, mode: 0o600 },
			{ type: 'blockdev', path: 'etc/vm-exec/dev/blk0', major: 7, minor: 0, mode: 0o600 },
		]);
		// A block device's mode in the archive is S_IFBLK.
		const archive = packCpio(dev).toString('latin1');
		expect(archive).toContain(`${(0o060600).toString(16).padStart(8, '0').toUpperCase()}`);
	});

	it("names the control line after the arch's: the second serial port on x86, the virtio console on aarch64", () => {
		const control = (arch: 'x86_64' | 'aarch64') =>
			initramfsEntries({ arch, busybox: Buffer.from('bb'), applets: [], modules: [] }).find(
				(entry) => entry.path === 'etc/vm-exec/dev/vmx-control',
			);
		expect(control('x86_64')).toEqual({ type: 'symlink', path: 'etc/vm-exec/dev/vmx-control', target: 'ttyS1' });
		expect(control('aarch64')).toEqual({ type: 'symlink', path: 'etc/vm-exec/dev/vmx-control', target: 'hvc0' });
	});
});
