import { describe, expect, it } from 'vitest';
import { hasPvhNote, isElf64 } from '../../../src/elf/elf64.js';

describe('hasPvhNote', () => {
	it('is false for data that is not a 64-bit ELF', () => {
		expect(isElf64(Buffer.from('MZ'))).toBe(false);
		expect(hasPvhNote(Buffer.alloc(128))).toBe(false);
	});
});
