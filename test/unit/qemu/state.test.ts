import { describe, expect, it } from 'vitest';
import { parseRegisters, summarizeRegisters } from '../../../src/qemu/state.js';

describe('summarizeRegisters', () => {
	it("says where each CPU is and whether it is halted, from QEMU's `info registers -a`", () => {
		const text = [
			'CPU#0',
			'RAX=0000000000000000 RBX=ffffffff82a0c940 RCX=0000000000000001 RDX=0000000000000000',
			'RIP=ffffffff81e3a1b2 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1',
			'CPU#1',
			'RIP=ffffffff8103c4d0 RFL=00000002 [-------] CPL=0 II=0 A20=1 SMM=0 HLT=0',
		].join('\n');
		expect(summarizeRegisters(text)).toEqual(['CPU 0 at RIP ffffffff81e3a1b2 (halted)', 'CPU 1 at RIP ffffffff8103c4d0']);
	});

	it('returns nothing for output it does not recognise', () => {
		expect(summarizeRegisters('')).toEqual([]);
		expect(summarizeRegisters('unknown command')).toEqual([]);
	});
});

describe('parseRegisters', () => {
	it('reads each CPU’s instruction pointer, halt state, interrupt flag and privilege level', () => {
		const text = [
			'CPU#0',
			'RIP=ffffffffc021f011 RFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0',
			'CPU#1',
			'RIP=ffffffff81e3a1b2 RFL=00000246 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=1',
		].join('\n');
		expect(parseRegisters(text)).toEqual([
			{ cpu: 0, rip: 'ffffffffc021f011', halted: false, interruptsOff: true, cpl: 0 },
			{ cpu: 1, rip: 'ffffffff81e3a1b2', halted: true, interruptsOff: false, cpl: 0 },
		]);
	});
});
