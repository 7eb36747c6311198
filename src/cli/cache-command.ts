/**
 * `vm-exec cache [--clear]`: show how much disk the cache uses (kernels, initramfs, snapshots), or empty it.
 */
import { resolveCacheDir } from '../options/environment.js';
import { clearCache, describeCacheUsage, formatBytes, measureCache } from '../cache/usage.js';
import type { CliIo } from './cli-io.js';
import { parseFlags } from './args/parse-flags.js';
import { UsageError } from './args/usage-error.js';

export const CACHE_USAGE = `Usage: vm-exec cache [--clear] [--cache-dir=DIR]

Show the cache directory and how much disk it uses: extracted kernels, initramfs archives and the VM
snapshots that make fresh VMs start fast. The next VM rebuilds whatever is missing.
  --clear           Remove everything vm-exec cached there
  --cache-dir=DIR   Use DIR instead of $VM_EXEC_CACHE, $XDG_CACHE_HOME/vm-exec or ~/.cache/vm-exec
`;

export async function runCacheCommand(argv: readonly string[], io: CliIo): Promise<number> {
	const { flags, positionals, rest } = parseFlags(argv, {
		clear: { type: 'boolean' },
		'cache-dir': { type: 'string' },
		help: { type: 'boolean', short: 'h' },
	});
	if (flags.help) {
		io.stdout.write(CACHE_USAGE);
		return 0;
	}
	if (positionals.length > 0 || rest !== undefined) {
		throw new UsageError(
			`\`vm-exec cache\` takes no arguments, got \`${[...positionals, ...(rest ? ['--', ...rest] : [])].join(' ')}\`. To empty the cache: \`vm-exec cache --clear\`.`,
		);
	}
	const cacheDir = resolveCacheDir(typeof flags['cache-dir'] === 'string' ? flags['cache-dir'] : undefined);
	if (flags.clear) {
		const freed = await clearCache(cacheDir);
		io.stdout.write(`Cleared ${cacheDir}: freed ${formatBytes(freed.totalBytes)}.\n`);
		return 0;
	}
	io.stdout.write(`${describeCacheUsage(await measureCache(cacheDir))}\n`);
	return 0;
}
