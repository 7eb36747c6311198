/**
 * The kernel's taint: the bit mask in /proc/sys/kernel/tainted, and which new bits count as a test
 * failure. The table is the kernel's (Documentation/admin-guide/tainted-kernels.rst, kernel/panic.c's
 * taint_flags, as of 6.1). Pure.
 */

/** One taint flag. */
export interface TaintFlag {
	/** The letter the kernel prints in `Tainted: …` when the bit is set. */
	letter: string;
	bit: number;
	/** What the bit means, in the words of tainted-kernels.rst. */
	meaning: string;
	/**
	 * Whether a test fails when this bit is newly set during it. Not a failure: the bits that loading a
	 * test's own module sets by what the module is (its license, that it is out of tree, unsigned, a staging
	 * or test or live-patch module, loaded with force), and the two a user sets on purpose (a forced
	 * rmmod, a write to /proc/sys/kernel/tainted). A failure: what the kernel found wrong (a warning, an
	 * oops, a lockup, a bad page, a machine check, …).
	 */
	failure: boolean;
}

/** Every taint flag of the kernel, by bit. */
export const TAINT_FLAGS: readonly TaintFlag[] = [
	// A module whose license is not GPL-compatible: what the test's module declares, not something broken.
	{ letter: 'P', bit: 0, meaning: 'proprietary module was loaded', failure: false },
	// insmod -f: the test asked for it.
	{ letter: 'F', bit: 1, meaning: 'module was force loaded', failure: false },
	{ letter: 'S', bit: 2, meaning: 'kernel running on an out of specification system', failure: true },
	// rmmod -f: the test asked for it.
	{ letter: 'R', bit: 3, meaning: 'module was force unloaded', failure: false },
	{ letter: 'M', bit: 4, meaning: 'processor reported a Machine Check Exception (MCE)', failure: true },
	{ letter: 'B', bit: 5, meaning: 'bad page referenced or some unexpected page flags', failure: true },
	// Only a write to /proc/sys/kernel/tainted sets it: the test's own choice.
	{ letter: 'U', bit: 6, meaning: 'taint requested by userspace application', failure: false },
	{ letter: 'D', bit: 7, meaning: 'kernel died recently, i.e. there was an OOPS or BUG', failure: true },
	{ letter: 'A', bit: 8, meaning: 'ACPI table overridden by user', failure: true },
	{ letter: 'W', bit: 9, meaning: 'kernel issued warning', failure: true },
	// Loading a module from drivers/staging: what the module is.
	{ letter: 'C', bit: 10, meaning: 'staging driver was loaded', failure: false },
	{ letter: 'I', bit: 11, meaning: 'workaround for bug in platform firmware applied', failure: true },
	// Every module a test builds itself is out of tree (and unsigned, below): loading it always sets these.
	{ letter: 'O', bit: 12, meaning: 'externally-built ("out-of-tree") module was loaded', failure: false },
	{ letter: 'E', bit: 13, meaning: 'unsigned module was loaded', failure: false },
	{ letter: 'L', bit: 14, meaning: 'soft lockup occurred', failure: true },
	// Loading a live patch (a module too): what the module is.
	{ letter: 'K', bit: 15, meaning: 'kernel has been live patched', failure: false },
	// Set by distributions' own module loading policies (SUSE's "unsupported" modules).
	{ letter: 'X', bit: 16, meaning: 'auxiliary taint, defined for and used by distros', failure: false },
	// Set at build time (the randstruct plugin), never by something a test does.
	{ letter: 'T', bit: 17, meaning: 'kernel was built with the struct randomization plugin', failure: false },
	// Loading a KUnit or other test module: what a test of kernel code loads on purpose.
	{ letter: 'N', bit: 18, meaning: 'an in-kernel test has been run', failure: false },
];

/** The flags set in a /proc/sys/kernel/tainted mask, by bit. Bits the table does not know are named `?N`. */
export function decodeTaint(mask: number): TaintFlag[] {
	const flags: TaintFlag[] = [];
	for (let bit = 0; bit < 32; bit++) {
		if (Math.floor(mask / 2 ** bit) % 2 !== 1) continue;
		flags.push(TAINT_FLAGS[bit] ?? { letter: `?${bit}`, bit, meaning: `unknown taint bit ${bit}`, failure: true });
	}
	return flags;
}

/** The letters of a mask, in the kernel's order (`WOE`); empty when untainted. */
export function formatTaint(mask: number): string {
	return decodeTaint(mask)
		.map((flag) => flag.letter)
		.join('');
}

/** The bits set in `after` and not in `before` that count as a failure (see `TaintFlag.failure`). */
export function newFailingTaint(before: number, after: number): TaintFlag[] {
	const had = new Set(decodeTaint(before).map((flag) => flag.bit));
	return decodeTaint(after).filter((flag) => flag.failure && !had.has(flag.bit));
}

/** The mask a `Tainted: G        W  OE` field of a report stands for (its letters; `G` and spaces are unset bits). */
export function taintFromLetters(letters: string): number {
	let mask = 0;
	for (const letter of letters) {
		const flag = TAINT_FLAGS.find((candidate) => candidate.letter === letter);
		if (flag) mask += 2 ** flag.bit;
	}
	return mask;
}
