import { describe, expect, it } from 'vitest';
import { describeAddress, lookupSymbol, parseSymbolMap, UNRELOCATED_TEXT } from '../../../src/kernel/kernel-symbols.js';

/** A System.map-like table: `_text`, 1000 functions 0x100 apart, `_etext`, a data symbol and a module symbol. */
function fakeMap(base: bigint): string {
	const hex = (value: bigint) => value.toString(16).padStart(16, '0');
	const lines = [`${hex(base)} T _text`];
	for (let index = 0; index < 1000; index++) lines.push(`${hex(base + 0x1000n + BigInt(index) * 0x100n)} t function_${index}`);
	lines.push(`${hex(base + 0x200000n)} T _etext`, `${hex(base + 0x300000n)} D some_data`, `ffffffffc0001000 t mod_fn\t[some_module]`);
	return lines.join('\n');
}

describe('parseSymbolMap', () => {
	it("keeps the core kernel's text symbols, sorted, and finds the end of its text", () => {
		const symbols = parseSymbolMap(fakeMap(UNRELOCATED_TEXT), 'System.map')!;
		expect(symbols.names).toContain('function_999');
		expect(symbols.names).not.toContain('some_data');
		expect(symbols.names).not.toContain('mod_fn');
		expect(symbols.end).toBe(UNRELOCATED_TEXT + 0x200000n);
	});

	it("refuses a stub such as Debian's one-line System.map", () => {
		expect(parseSymbolMap('ffffffffffffffff B The real System.map is in the linux-image-<version>-dbg package', 'stub')).toBeUndefined();
	});

	it('shifts a relocated table (the host kernel under KASLR) to where the guest has its text', () => {
		const relocated = UNRELOCATED_TEXT + 0x2c000000n;
		const symbols = parseSymbolMap(fakeMap(relocated), 'kallsyms', UNRELOCATED_TEXT - relocated)!;
		expect(lookupSymbol(symbols, UNRELOCATED_TEXT + 0x1000n + 0x105n)).toBe('function_1+0x5');
	});
});

describe('lookupSymbol and describeAddress', () => {
	const symbols = parseSymbolMap(fakeMap(UNRELOCATED_TEXT), 'System.map')!;

	it('names the function an address is in, with the offset', () => {
		expect(lookupSymbol(symbols, UNRELOCATED_TEXT + 0x1000n)).toBe('function_0+0x0');
		expect(describeAddress(UNRELOCATED_TEXT + 0x1000n + 0x3e7n * 0x100n + 0x11n, symbols)).toBe('function_999+0x11');
	});

	it('names no symbol outside the kernel text, and says where the address is instead', () => {
		expect(lookupSymbol(symbols, UNRELOCATED_TEXT + 0x250000n)).toBeUndefined();
		expect(describeAddress(0xffffffffc021f011n, symbols)).toBe('in a loadable module');
		expect(describeAddress(0x7f0000001000n, symbols)).toBe('in user space');
		expect(describeAddress(UNRELOCATED_TEXT + 0x1000n, undefined)).toBe('in the kernel (no symbol table for it on the host)');
	});
});
