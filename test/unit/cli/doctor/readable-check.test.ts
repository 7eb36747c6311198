import { describe, expect, it } from 'vitest';
import { describeUnreadable } from '../../../../src/cli/doctor/readable-check.js';
import { FRESH_PATHS, HOST_ONLY_PATHS } from '../../../../src/guest/fresh-paths.js';

const byPath = (p: string) => [...FRESH_PATHS, ...HOST_ONLY_PATHS].find((entry) => entry.path === p)!;

describe('describeUnreadable', () => {
	it('is ok when the user can read everything (root)', () => {
		expect(describeUnreadable([])).toEqual({ name: 'readable', status: 'ok', detail: 'the guest can read what it commonly needs' });
	});

	it('is ok when only paths the guest makes its own are unreadable, and names them', () => {
		const check = describeUnreadable(['/root', '/etc/shadow', '/etc/gshadow'].map(byPath));
		expect(check.status).toBe('ok');
		expect(check.detail).toBe(
			'the guest can read what it commonly needs; the guest has its own /root, /etc/shadow, /etc/gshadow (as for every user)',
		);
	});

	it('warns with the consequence of each unreadable path the guest shows as on the host', () => {
		const check = describeUnreadable(['/etc/shadow', '/etc/sudoers', '/etc/ssl/private'].map(byPath));
		expect(check.status).toBe('warn');
		expect(check.detail).toBe(
			'unreadable to this user, so in the guest too (even as root): /etc/sudoers (sudo in the guest cannot read its policy (scripts run as root: runuser needs none)); ' +
				'/etc/ssl/private (programs that load private TLS keys from it (a web server) fail); the guest has its own /etc/shadow (as for every user)',
		);
		expect(check.fix).toMatch(/run as root/);
	});
});
