import { describe, expect, it } from 'vitest';
import { buildNetworkArgs } from '../../../../src/qemu/argv/network-args.js';
import { buildQemuArgv, type QemuPlan } from '../../../../src/qemu/argv/qemu-argv.js';
import { samplePlan } from '../../../helpers/qemu-plan.js';

const plan: QemuPlan = samplePlan('/tmp/w', { kernel: '/cache/vmlinux', initramfs: '/cache/initramfs.cpio', bios: undefined });

describe('buildNetworkArgs', () => {
	it('adds nothing without a network: the guest has only loopback', () => {
		expect(buildNetworkArgs({})).toEqual([]);
		expect(buildNetworkArgs({ userNetwork: false, lanSocket: undefined })).toEqual([]);
	});

	it('attaches a user-mode (NAT) virtio card without a boot ROM', () => {
		expect(buildNetworkArgs({ userNetwork: true })).toEqual([
			'-netdev',
			'user,id=net0',
			'-device',
			'virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56,romfile=',
		]);
	});

	it('connects the LAN card to the unix socket of the host switch, after the NAT card', () => {
		expect(buildNetworkArgs({ userNetwork: true, lanSocket: '/tmp/w,1/lan.sock' })).toEqual([
			'-netdev',
			'user,id=net0',
			'-device',
			'virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56,romfile=',
			'-netdev',
			'stream,id=lan0,server=off,addr.type=unix,addr.path=/tmp/w,,1/lan.sock',
			'-device',
			'virtio-net-pci,netdev=lan0,mac=52:54:00:12:34:57,romfile=',
		]);
	});
});

describe('buildQemuArgv with network cards', () => {
	it('puts the cards after the existing devices and before the user’s extra arguments', () => {
		const argv = buildQemuArgv({ ...plan, userNetwork: true, qemuArgs: ['-name', 'x'] });
		const cards = buildNetworkArgs({ userNetwork: true });
		const sharedDevice = argv.indexOf('virtio-9p-pci,fsdev=shared,mount_tag=shared');
		expect(argv.slice(sharedDevice + 1, sharedDevice + 1 + cards.length)).toEqual(cards);
		expect(argv.slice(-3)).toEqual(['-no-reboot', '-name', 'x']);
	});

	it('keeps the command line of a VM without network unchanged', () => {
		expect(buildQemuArgv(plan).some((arg) => arg.includes('netdev') || arg.includes('virtio-net'))).toBe(false);
	});

	it('never puts a per-VM LAN setting (address, MAC) in the argv: those travel in boot.env', () => {
		const argv = buildQemuArgv({ ...plan, lanSocket: '/tmp/w/lan.sock' });
		expect(argv.join(' ')).not.toMatch(/10\.0\.3\.|52:54:0a/);
		expect(argv.find((arg) => arg.startsWith('-append') || arg.includes('console=ttyS0'))).not.toMatch(/10\.0\.|eth/);
	});
});
