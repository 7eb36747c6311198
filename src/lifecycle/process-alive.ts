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
