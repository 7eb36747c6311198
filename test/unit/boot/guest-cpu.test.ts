import { describe, expect, it } from 'vitest';
import { guestCpuModel } from '../../../src/boot/guest-cpu.js';

describe("the guest CPU for the host's userland", () => {
	it('gives the guest every CPU feature only when the host needs more than baseline', () => {
		expect(guestCpuModel(undefined)).toBeUndefined();
		expect(guestCpuModel(1)).toBeUndefined();
		expect(guestCpuModel(2)).toBe('max');
		expect(guestCpuModel(3)).toBe('max');
	});
});
