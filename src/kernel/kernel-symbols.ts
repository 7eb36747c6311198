/**
 * Naming a guest CPU's instruction pointer (`ffffffff8105c2a1` → `native_safe_halt+0x11`) for the error of
 * a frozen guest. The guest runs the host's kernel, so its symbols can come from the host:
 * - `/boot/System.map-<release>`, where the distribution ships a real one (Debian ships a one-line stub:
 *   its real map is in the `-dbg` package);
 * - the host's `/proc/kallsyms` when the host runs that very release and lets this user read addresses
 *   (root, or `kernel.kptr_restrict=0`). The host's kernel is KASLR-relocated, the guest's is not (QEMU
 *   boots the vmlinux through PVH, which skips the decompressor that randomizes it): both tables are
 *   shifted so that `_text` is where the guest has it, and only the core kernel's symbols are kept.
 * Addresses in modules cannot be named from the host (where a module lands is the guest's business):
 * they are reported as "in a loadable module", and the kernel's own lockup report names them.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';

/** A sorted table of the core kernel's text symbols. */
export interface KernelSymbols {
	/** Where the table came from, for the error message. */
	source: string;
	addresses: bigint[];
	names: string[];
	/** The end of the core kernel's text (`_etext`): addresses past it are not named. */
	end: bigint;
}

/** x86-64: where the kernel maps loadable modules (MODULES_VADDR to MODULES_END, with a 1 GiB image). */
const MODULE_AREA: readonly [bigint, bigint] = [0xffffffffc0000000n, 0xffffffffff000000n];
/** x86-64: user space ends here (canonical lower half). */
const USER_SPACE_END = 0x0000800000000000n;
/** x86-64: `_text` of a kernel that was not relocated (`__START_KERNEL_map` + `CONFIG_PHYSICAL_START`). */
export const UNRELOCATED_TEXT = 0xffffffff81000000n;
/** Fewer text symbols than this is a stub (Debian's `System.map` has one line), not a symbol table. */
const MIN_SYMBOLS = 1000;

/**
 * Parse `System.map` or `/proc/kallsyms` lines (`ADDRESS TYPE NAME [module]`): text symbols of the core
 * kernel only, sorted. `shift` is added to every address. Pure.
 */
export function parseSymbolMap(text: string, source: string, shift = 0n): KernelSymbols | undefined {
	const entries: Array<[bigint, string]> = [];
	for (const line of text.split('\n')) {
		const [address, type, name, module] = line.split(/\s+/);
		if (!address || !name || module || !type || !/^[tTwW]$/.test(type) || !/^[0-9a-f]{16}$/.test(address)) continue;
		const value = BigInt(`0x${address}`);
		if (value === 0n) continue;
		entries.push([value + shift, name]);
	}
	if (entries.length < MIN_SYMBOLS) return undefined;
	entries.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
	const end = entries.find(([, name]) => name === '_etext')?.[0] ?? entries.at(-1)![0];
	return { source, addresses: entries.map(([address]) => address), names: entries.map(([, name]) => name), end };
}

/** `name+0xOFFSET` for an address in the core kernel's text, or undefined if it is not covered. Pure. */
export function lookupSymbol(symbols: KernelSymbols, address: bigint): string | undefined {
	const { addresses, names } = symbols;
	let low = 0;
	let high = addresses.length - 1;
	if (high < 0 || address < addresses[0]! || address >= symbols.end) return undefined;
	while (low < high) {
		const middle = (low + high + 1) >> 1;
		if (addresses[middle]! <= address) low = middle;
		else high = middle - 1;
	}
	return `${names[low]}+0x${(address - addresses[low]!).toString(16)}`;
}

/** Where an instruction pointer is, in words: `native_safe_halt+0x11`, `in a loadable module`, `in user space`. Pure. */
export function describeAddress(address: bigint, symbols: KernelSymbols | undefined): string {
	if (address < USER_SPACE_END) return 'in user space';
	if (address >= MODULE_AREA[0] && address < MODULE_AREA[1]) return 'in a loadable module';
	const symbol = symbols ? lookupSymbol(symbols, address) : undefined;
	return symbol ?? 'in the kernel (no symbol table for it on the host)';
}

const cache = new Map<string, Promise<KernelSymbols | undefined>>();

/** The best symbol table the host has for `release`, or undefined. Cached per release; never throws. */
export function loadKernelSymbols(release: string): Promise<KernelSymbols | undefined> {
	let loaded = cache.get(release);
	if (!loaded) {
		loaded = readSymbols(release).catch(() => undefined);
		cache.set(release, loaded);
	}
	return loaded;
}

async function readSymbols(release: string): Promise<KernelSymbols | undefined> {
	const mapFile = `/boot/System.map-${release}`;
	const map = await readFile(mapFile, 'utf8').catch(() => '');
	const fromMap = parseSymbolMap(map, mapFile);
	if (fromMap) return fromMap;
	if (os.release() !== release) return undefined;
	const kallsyms = await readFile('/proc/kallsyms', 'utf8').catch(() => '');
	const text = /^([0-9a-f]{16}) T _text$/m.exec(kallsyms)?.[1];
	if (!text) return undefined;
	return parseSymbolMap(kallsyms, "the host's /proc/kallsyms", UNRELOCATED_TEXT - BigInt(`0x${text}`));
}
