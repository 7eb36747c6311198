import { describe, expect, it } from 'vitest';
import { decodeTaint, formatTaint, newFailingTaint, TAINT_FLAGS, taintFromLetters } from '../../../src/kernel-log/taint.js';

describe('decodeTaint', () => {
	it.each([
		// Untainted.
		[0, ''],
		// After insmod of a module built out of tree (O, 4096) and unsigned (E, 8192): what the guest showed.
		[12288, 'OE'],
		// Then a WARN (W, 512) and an oops (D, 128).
		[12288 + 512 + 128, 'DWOE'],
		// A soft lockup (L, 16384) and an in-kernel test (N, 262144).
		[16384 + 262144, 'LN'],
		[1, 'P'],
	])('%i → %s', (mask, letters) => {
		expect(formatTaint(mask)).toBe(letters);
		expect(taintFromLetters(letters)).toBe(mask);
	});

	it("has the kernel's 19 flags, one per bit, and names a bit it does not know", () => {
		expect(TAINT_FLAGS.map((flag) => flag.bit)).toEqual([...Array(19).keys()]);
		expect(TAINT_FLAGS.map((flag) => flag.letter).join('')).toBe('PFSRMBUDAWCIOELKXTN');
		expect(decodeTaint(2 ** 20)).toEqual([{ letter: '?20', bit: 20, meaning: 'unknown taint bit 20', failure: true }]);
		expect(decodeTaint(512)[0]).toMatchObject({ letter: 'W', meaning: 'kernel issued warning' });
	});
});

describe('newFailingTaint', () => {
	it.each([
		// Loading the test's own module: not a failure.
		[0, 12288, ''],
		[0, 4096 + 8192 + 262144 + 1, ''],
		// A warning, an oops, a soft lockup, a bad page, a machine check: failures.
		[12288, 12288 + 512, 'W'],
		[0, 128 + 16384, 'DL'],
		[0, 32 + 16, 'MB'],
		// Already set before: not new.
		[512, 512 + 4096, ''],
		[512, 512 + 128, 'D'],
	])('%i → %i: %j', (before, after, letters) => {
		expect(
			newFailingTaint(before, after)
				.map((flag) => flag.letter)
				.join(''),
		).toBe(letters);
	});
});
