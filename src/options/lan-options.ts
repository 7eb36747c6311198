/**
 * The `lan` option: a LAN name, or `{ name, address }` with an address of the VM's own choosing.
 */
import { parseLanAddress } from './lan-address.js';
import { invalid } from './validators.js';

export interface NormalizedLan {
	name: string;
	address: string | undefined;
}

export function lanValue(value: unknown): NormalizedLan | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'string' && value !== '') return { name: value, address: undefined };
	if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
		const { name, address, ...rest } = value as { name?: unknown; address?: unknown };
		const unknown = Object.keys(rest)[0];
		if (unknown !== undefined) throw new TypeError(`Unknown \`lan\` option \`${unknown}\`. Known options: name, address.`);
		if (typeof name !== 'string' || name === '') throw invalid('lan.name', 'a non-empty string', name);
		if (address !== undefined && (typeof address !== 'string' || !parseLanAddress(address))) {
			throw invalid('lan.address', "an IPv4 host address like `'10.0.3.7'` or `'192.168.7.2/24'` (prefix 8 to 30)", address);
		}
		return { name, address };
	}
	throw invalid('lan', 'a LAN name or `{ name, address }`', value);
}
