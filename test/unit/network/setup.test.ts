import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hostNamesForGuest } from '../../../src/network/setup.js';
import { normalizeOptions } from '../../../src/options.js';
import { buildBootEnv } from '../../../src/protocol/exec-files.js';

describe('the network options', () => {
	it('default to no network and no LAN', () => {
		expect(normalizeOptions({})).toMatchObject({ network: false, lan: undefined });
	});

	it('accept a LAN name, or a name and an address', () => {
		expect(normalizeOptions({ network: true, lan: 'backend' })).toMatchObject({
			network: true,
			lan: { name: 'backend', address: undefined },
		});
		expect(normalizeOptions({ lan: { name: 'backend', address: '192.168.7.2/24' } }).lan).toEqual({
			name: 'backend',
			address: '192.168.7.2/24',
		});
	});

	it.each([
		[{ network: 'yes' }, 'Expected the `network` option to be a boolean, got `"yes"`.'],
		[{ lan: '' }, 'Expected the `lan` option to be a LAN name or `{ name, address }`, got `""`.'],
		[{ lan: 7 }, 'Expected the `lan` option to be a LAN name or `{ name, address }`, got `7`.'],
		[{ lan: { address: '10.0.3.2' } }, 'Expected the `lan.name` option to be a non-empty string, got `undefined`.'],
		[
			{ lan: { name: 'x', address: '10.0.3.300' } },
			"Expected the `lan.address` option to be an IPv4 host address like `'10.0.3.7'` or `'192.168.7.2/24'` (prefix 8 to 30), got `\"10.0.3.300\"`.",
		],
		[{ lan: { name: 'x', mac: '52:54:00:00:00:01' } }, 'Unknown `lan` option `mac`. Known options: name, address.'],
		[{ launcher: ['vm-exec'], network: true }, 'The `network` option cannot be combined with `launcher`'],
	])('reject %j', (options, message) => {
		expect(() => normalizeOptions(options as never)).toThrow(message);
	});
});

describe('the network settings in boot.env', () => {
	/** What the guest's shell sees after sourcing boot.env. */
	function sourced(env: string, names: string[]): string {
		return execFileSync('/bin/sh', ['-c', `${env}\nprintf '%s|' ${names.map((name) => `"$${name}"`).join(' ')}`]).toString();
	}

	it('are absent without a network card', () => {
		expect(buildBootEnv({ hostname: 'vm-exec', shared: false, expose: [], modulesDir: undefined })).not.toContain('VMX_NAT_NIC');
	});

	it('tell the guest which cards to configure and how', () => {
		const env = buildBootEnv({
			hostname: 'vm-exec',
			shared: false,
			expose: [],
			modulesDir: undefined,
			network: {
				natNic: '52:54:00:12:34:56',
				hostNames: ['build.example.org', 'build'],
				lanNic: '52:54:00:12:34:57',
				lanMac: '52:54:0a:00:03:01',
				lanAddress: '10.0.3.1/24',
			},
		});
		expect(sourced(env, ['VMX_NAT_NIC', 'VMX_HOST_NAMES', 'VMX_LAN_NIC', 'VMX_LAN_MAC', 'VMX_LAN_ADDR'])).toBe(
			'52:54:00:12:34:56|build.example.org build|52:54:00:12:34:57|52:54:0a:00:03:01|10.0.3.1/24|',
		);
	});
});

describe('hostNamesForGuest', () => {
	it("gives the host's full and short name", () => {
		expect(hostNamesForGuest('build.example.org')).toEqual(['build.example.org', 'build']);
		expect(hostNamesForGuest('laptop')).toEqual(['laptop']);
	});

	it('leaves out a name /etc/hosts cannot hold', () => {
		expect(hostNamesForGuest('bad name')).toEqual([]);
		expect(hostNamesForGuest('')).toEqual([]);
	});
});
