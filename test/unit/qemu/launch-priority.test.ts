import { describe, expect, it } from 'vitest';
import { LaunchPriority, mayRestorePriority, parseNiceCredentials } from '../../../src/qemu/launch-priority.js';

const status = (capEff: string) => `Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t${capEff}\nCapEff:\t${capEff}\n`;
const limits = (soft: string) =>
	`Limit                     Soft Limit           Hard Limit           Units\nMax nice priority         ${soft}                    ${soft}\nMax realtime priority     0                    0\n`;

describe('whether a VM started at nice 19 can be given back its priority', () => {
	it('reads the effective capabilities and the RLIMIT_NICE soft limit', () => {
		expect(parseNiceCredentials(status('000001ffffffffff'), limits('0'))).toEqual({ capEff: 0x1ffffffffffn, niceLimit: 0 });
		expect(parseNiceCredentials(status('0000000000000000'), limits('unlimited')).niceLimit).toBe(Number.POSITIVE_INFINITY);
		expect(parseNiceCredentials('', '')).toEqual({ capEff: 0n, niceLimit: 0 });
	});

	it('allows it with CAP_SYS_NICE (root)', () => {
		expect(mayRestorePriority({ capEff: 1n << 23n, niceLimit: 0, niceness: 0 })).toBe(true);
	});

	it('refuses it to an ordinary user with the default RLIMIT_NICE of 0', () => {
		expect(mayRestorePriority({ capEff: 0n, niceLimit: 0, niceness: 0 })).toBe(false);
		// Other capabilities do not help.
		expect(mayRestorePriority({ capEff: (1n << 21n) | (1n << 24n), niceLimit: 0, niceness: 0 })).toBe(false);
	});

	it('allows it when RLIMIT_NICE reaches the runner’s own niceness (20 - limit)', () => {
		expect(mayRestorePriority({ capEff: 0n, niceLimit: 20, niceness: 0 })).toBe(true);
		expect(mayRestorePriority({ capEff: 0n, niceLimit: 19, niceness: 0 })).toBe(false);
		// A runner that itself runs at nice 5 only needs to get back to 5.
		expect(mayRestorePriority({ capEff: 0n, niceLimit: 15, niceness: 5 })).toBe(true);
	});
});

describe('LaunchPriority', () => {
	it('is lowered until restored, once', () => {
		const priority = new LaunchPriority(0);
		expect(priority.lowered).toBe(true);
		priority.restore();
		priority.restore();
		expect(priority.lowered).toBe(false);
	});
});
