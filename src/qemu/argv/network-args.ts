/**
 * The QEMU arguments of the VM's network cards, from the plan's network fields. Pure.
 *
 * Both cards get fixed MAC addresses, the same for every VM: the device set (and so the QEMU argv a
 * snapshot is keyed on) does not depend on the VM. The guest finds each card by that MAC, and gives its
 * LAN card a per-VM MAC itself after `go` (see guest/init.sh).
 */
import { type ArchSpec, archSpec, virtioDevice } from '../../arch/arch.js';

/** MAC of the user-mode (NAT) card: QEMU's usual default. */
export const USER_NIC_MAC = '52:54:00:12:34:56';
/** MAC of the LAN card until the guest sets its own. */
export const LAN_NIC_MAC = '52:54:00:12:34:57';
/** The id of the user-mode netdev, used by `hostfwd_add`. */
export const USER_NETDEV_ID = 'net0';
export const LAN_NETDEV_ID = 'lan0';

export interface NetworkPlan {
	/** Attach a user-mode (slirp, NAT) network card. */
	userNetwork?: boolean;
	/** Attach a card to a private LAN: the host's switch listens on this unix socket. */
	lanSocket?: string | undefined;
}

/**
 * `-nodefaults` drops QEMU's default NIC; an empty `romfile` also keeps the iPXE boot ROM out (boot time).
 * On an MMIO transport (aarch64 `virt`) the card has no option ROM at all.
 */
function nic(netdev: string, mac: string, spec: ArchSpec): string[] {
	if (spec.virtioTransport === 'mmio') return ['-device', `${virtioDevice(spec, 'virtio-net')},netdev=${netdev},mac=${mac}`];
	return ['-device', `virtio-net-pci,netdev=${netdev},mac=${mac},romfile=`];
}

export function buildNetworkArgs(plan: NetworkPlan, spec: ArchSpec = archSpec('x86_64')): string[] {
	const args: string[] = [];
	if (plan.userNetwork) {
		// `user` is QEMU's own NAT: the guest reaches the host's loopback as 10.0.2.2; nothing listens on the host
		// unless a port is forwarded (vm.forwardPort, bound to 127.0.0.1 only).
		args.push('-netdev', `user,id=${USER_NETDEV_ID}`, ...nic(USER_NETDEV_ID, USER_NIC_MAC, spec));
	}
	if (plan.lanSocket) {
		// A stream socket to the host's in-process switch: no host network address is involved at all.
		const socketPath = plan.lanSocket.replaceAll(',', ',,');
		args.push(
			'-netdev',
			`stream,id=${LAN_NETDEV_ID},server=off,addr.type=unix,addr.path=${socketPath}`,
			...nic(LAN_NETDEV_ID, LAN_NIC_MAC, spec),
		);
	}
	return args;
}
