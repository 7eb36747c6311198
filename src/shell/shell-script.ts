/**
 * The guest side of an interactive shell, as pure functions: the exec that starts bash on a console port.
 */
import { shellQuote } from '../protocol/exec-files.js';

/** hvc ttys the guest creates up front (HVC_ALLOC_TTY_ADAPTERS): the most shells one VM can have open. */
export const MAX_SHELLS = 8;

/** The name of shell port `nr`, as the guest sees it in /sys/class/virtio-ports/vport*pN/name. */
export function shellPortName(nr: number): string {
	return `vmx.shell.${nr}`;
}

/**
 * Wait (≤ 10 s) until the port has appeared in the guest under its name and its tty opens, and run bash (else
 * sh) as a login shell in a new session whose controlling terminal is the port's tty; `setsid -w` exits
 * with the shell's status, which becomes the exec's.
 */
export function buildShellScript(input: { nr: number; tty: string; size: { rows: number; cols: number }; norc?: boolean }): string {
	const name = shellQuote(shellPortName(input.nr));
	const tty = shellQuote(input.tty);
	const rows = Math.trunc(input.size.rows);
	const cols = Math.trunc(input.size.cols);
	// --norc: none of the host user's startup files (they run under emulation: see docs/debugging.md), bash's
	// usual prompt all the same.
	const shell = input.norc ? `PS1='\\u@\\h:\\w\\$ ' exec "$0" $(case "$0" in *bash) echo --noprofile --norc;; esac) -i` : 'exec "$0" -l';
	return [
		'i=0',
		`until [ "$(cat /sys/class/virtio-ports/vport*p${input.nr}/name 2>/dev/null)" = ${name} ] && [ -c ${tty} ] && : <>${tty}; do`,
		'  i=$((i + 1))',
		`  [ "$i" -lt 200 ] || { echo "vm-exec: the shell's console port ${input.tty} did not appear in the guest" >&2; exit 125; }`,
		'  sleep 0.05',
		'done',
		'sh=$(command -v bash || echo /bin/sh)',
		// The runner's execs start with SIGINT and SIGQUIT ignored (a non-interactive shell's background
		// jobs do), and a shell keeps signals it was started with ignored for its own jobs: reset them, or ^C
		// would stop nothing. The size is set once the tty is open for good (a tty's size is lost at its last close).
		`exec setsid -w -c env --default-signal=INT,QUIT,TSTP,TTIN,TTOU "$sh" -c ${shellQuote(`stty sane rows ${rows} cols ${cols}; ${shell}`)} "$sh" <>${tty} >&0 2>&0`,
		'',
	].join('\n');
}
