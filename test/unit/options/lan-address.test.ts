import { describe, expect, it } from 'vitest';
import { automaticLanAddress, formatLanAddress, lanMacAddress, parseLanAddress } from '../../../src/options/lan-address.js';

describe('parseLanAddress', () => {
	it('reads an address with or without a prefix (24 by default)', () => {
		expect(parseLanAddress('10.0.3.7')).toEqual({ ip: '10.0.3.7', prefix: 24 });
		expect(parseLanAddress('192.168.7.2/16')).toEqual({ ip: '192.168.7.2', prefix: 16 });
	});

	it.each(['10.0.3', '10.0.3.256', '10.0.3.7/31', '10.0.3.7/4', 'ten.0.3.7', '10.0.3.0', '10.0.3.255', '10.0.0.0/16', ''])(
		'refuses %j, which no host can use',
		(text) => {
			expect(parseLanAddress(text)).toBeUndefined();
		},
	);
});

describe('LAN addresses', () => {
	it('numbers automatic addresses from 10.0.3.1', () => {
		expect(formatLanAddress(automaticLanAddress(1))).toBe('10.0.3.1/24');
		expect(automaticLanAddress(254).ip).toBe('10.0.3.254');
	});

	it('derives a locally administered unicast MAC from the address, so distinct addresses never share one', () => {
		expect(lanMacAddress('10.0.3.1')).toBe('52:54:0a:00:03:01');
		expect(lanMacAddress('192.168.7.255')).toBe('52:54:c0:a8:07:ff');
		const firstByte = Number.parseInt(lanMacAddress('10.0.3.1').slice(0, 2), 16);
		expect(firstByte & 0b10).toBe(0b10); // locally administered
		expect(firstByte & 0b01).toBe(0); // unicast
	});
});
