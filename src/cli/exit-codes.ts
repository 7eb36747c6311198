/**
 * The exit statuses of `vm-exec` itself. Everything else is the script's own status (0-255, or 128+N when
 * it was killed by signal N), so vm-exec's own failures use codes that scripts rarely return:
 * sysexits.h's 64-78 range (reserved by BSD for exactly this: a program reporting its own failure) and
 * timeout(1)'s 124. 126 and 127 are avoided on purpose: the shell uses them when a command in the
 * script cannot be run or is not found, which is common.
 */
export const EXIT_CODES = {
	/** Bad flags, a missing script or an invalid option value (sysexits EX_USAGE). */
	usage: 64,
	/** The VM could not start: missing QEMU/kernel/busybox, a boot timeout, … (sysexits EX_UNAVAILABLE). */
	bootFailure: 69,
	/** The VM died while the script ran (kernel panic, QEMU killed), or vm-exec failed unexpectedly (sysexits EX_SOFTWARE). */
	crash: 70,
	/**
	 * The guest stopped answering while the script ran (a frozen guest kernel, a stopped QEMU): see
	 * `VmUnresponsiveError` (sysexits EX_PROTOCOL: the other end stopped following the protocol).
	 */
	unresponsive: 76,
	/**
	 * With `--kernel-reports=fail`: the guest kernel reported a problem while the script ran (a `WARNING:`, a
	 * `BUG:`, an oops, a lockup, …) or newly set a failing taint bit (sysexits EX_OSERR: the operating system
	 * found an error), whatever the script's own status was.
	 */
	kernelReport: 71,
	/** `--timeout` expired and the script's processes were killed, like timeout(1). */
	timeout: 124,
} as const;

/** The conventional status of a process ended by a signal: 128 + its number (SIGINT 130, SIGTERM 143). */
export function exitCodeForSignal(signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP'): number {
	return 128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal];
}
