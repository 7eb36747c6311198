/** A command line that vm-exec cannot run: printed with a pointer to `--help`, exit status 64. */
export class UsageError extends Error {
	override name = 'UsageError';
}
