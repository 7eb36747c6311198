import { readFileSync } from 'node:fs';

/**
 * Whether a process exists, by sending it signal 0. EPERM means it exists but belongs to someone else
 * (so it is alive); only ESRCH (or no pid at all) means it is gone.
 */
export function isProcessAlive(pid: number | undefined): boolean {
	if (pid === undefined) return false;
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return (error as NodeJS.ErrnoException).code === 'EPERM';
	}
}

/**
 * The state letter of a process from `/proc/PID/stat` (`R`, `S`, `Z` zombie, `T` stopped, `t` traced, …), or
 * undefined when it cannot be read (the process is gone).
 */
export function readProcessState(pid: number): string | undefined {
	let stat: string;
	try {
		stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	} catch {
		return undefined;
	}
	// The command name is in parentheses and may contain spaces: the state follows the last ')'.
	return /\)\s+(\S)/.exec(stat.slice(stat.lastIndexOf(')')))?.[1];
}
