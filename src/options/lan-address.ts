/**
 * IPv4 addresses of the private LAN between VMs: parsing, the default subnet, MAC addresses. Pure.
 */

/** Subnet of LAN addresses handed out automatically: the n-th VM to join a LAN gets 10.0.3.n. */
export const LAN_SUBNET = '10.0.3';
export const LAN_PREFIX = 24;
/** Highest host number in the automatic subnet. */
export const LAN_MAX_HOST = 254;

export interface LanAddress {
	/** The address alone, e.g. `10.0.3.1`. */
	ip: string;
	/** The prefix length, e.g. `24`. */
	prefix: number;
}

const IPV4_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;

/** Parse `'10.0.3.7'` or `'192.168.1.5/16'` (prefix 24 when omitted); `undefined` if it is not one. */
export function parseLanAddress(text: string): LanAddress | undefined {
	const match = IPV4_PATTERN.exec(text.trim());
	if (!match) return undefined;
	const octets = match.slice(1, 5).map(Number);
	const prefix = match[5] === undefined ? LAN_PREFIX : Number(match[5]);
	if (octets.some((octet) => octet > 255) || prefix < 8 || prefix > 30) return undefined;
	// The network and broadcast addresses of its subnet cannot be given to a host.
	const value = octets.reduce((sum, octet) => sum * 256 + octet, 0);
	const hostBits = 2 ** (32 - prefix);
	const host = value % hostBits;
	if (host === 0 || host === hostBits - 1) return undefined;
	return { ip: octets.join('.'), prefix };
}

/** The automatic address of host number `n` on a LAN. */
export function automaticLanAddress(n: number): LanAddress {
	return { ip: `${LAN_SUBNET}.${n}`, prefix: LAN_PREFIX };
}

/**
 * A MAC address unique per IPv4 address: 52:54 (QEMU's locally administered prefix) then the address's
 * four bytes. Unique addresses on a LAN therefore never share a MAC.
 */
export function lanMacAddress(ip: string): string {
	const hex = ip.split('.').map((octet) => Number(octet).toString(16).padStart(2, '0'));
	return ['52', '54', ...hex].join(':');
}

export function formatLanAddress(address: LanAddress): string {
	return `${address.ip}/${address.prefix}`;
}
