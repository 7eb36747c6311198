/**
 * A VM's networking from its options: the QEMU plan fields (which cards), the per-VM settings the guest
 * applies after `go` (boot.env), and the LAN membership, released with the VM.
 */
import os from 'node:os';
import path from 'node:path';
import type { GuestNetworkSettings } from '../protocol/exec-files.js';
import type { ResourceStack } from '../lifecycle/resource-stack.js';
import { LAN_NIC_MAC, type NetworkPlan, USER_NIC_MAC } from '../qemu/argv/network-args.js';
import { formatLanAddress } from '../options/lan-address.js';
import { type LanLease, leaseLanAddress } from './lan.js';

export interface NetworkOptions {
	network: boolean;
	lan: { name: string; address: string | undefined } | undefined;
}

export interface VmNetwork {
	/** Whether the VM has the user-mode (NAT) card, which `forwardPort` needs. */
	readonly userNetwork: boolean;
	/** The VM's address on its LAN (without prefix), if it is on one. */
	readonly lanAddress: string | undefined;
	/** The cards to attach; call after `listen`. */
	plan(): NetworkPlan;
	/** What the guest configures after `go`, or `undefined` when the VM has no card. */
	guestSettings(): GuestNetworkSettings | undefined;
	/** Open the VM's LAN socket in its workspace (nothing to do without a LAN). */
	listen(workspaceRoot: string): Promise<void>;
}

/** The host's names as the guest should resolve them (to 10.0.2.2), like the seed's /etc/hosts entry. */
export function hostNamesForGuest(hostname: string = os.hostname()): string[] {
	if (!/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(hostname)) return [];
	const short = hostname.split('.')[0]!;
	return short === hostname ? [hostname] : [hostname, short];
}

/**
 * Reserve what the VM's networking needs. Synchronous on purpose: LAN addresses are handed out in the
 * order `startVm` was called, not the order boots happen to progress. The release is registered at once.
 */
export function reserveNetwork(options: NetworkOptions, resources: ResourceStack): VmNetwork {
	let lease: LanLease | undefined;
	if (options.lan) {
		const taken = leaseLanAddress(options.lan.name, options.lan.address);
		lease = taken;
		resources.defer(`LAN ${options.lan.name}`, () => taken.release());
	}
	let lanSocket: string | undefined;
	return {
		userNetwork: options.network,
		lanAddress: lease?.address.ip,
		plan: () => ({ userNetwork: options.network, lanSocket }),
		guestSettings() {
			if (!options.network && !lease) return undefined;
			return {
				natNic: options.network ? USER_NIC_MAC : undefined,
				hostNames: hostNamesForGuest(),
				lanNic: lease ? LAN_NIC_MAC : undefined,
				lanMac: lease?.mac,
				lanAddress: lease ? formatLanAddress(lease.address) : undefined,
			};
		},
		async listen(workspaceRoot) {
			if (!lease) return;
			const socketPath = path.join(workspaceRoot, 'lan.sock');
			await lease.listen(socketPath);
			lanSocket = socketPath;
		},
	};
}
