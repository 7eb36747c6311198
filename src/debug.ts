/**
 * `DEBUG=vm-exec:*` (or `DEBUG=vm-exec:qemu,vm-exec:protocol`) logging to stderr, like the `debug` package
 * but without the dependency. Library code never uses console.log.
 */
function enabledNamespaces(): string[] {
	return (process.env.DEBUG ?? '').split(/[\s,]+/).filter(Boolean);
}

function isEnabled(namespace: string): boolean {
	return enabledNamespaces().some((pattern) => {
		if (pattern === '*') return true;
		if (pattern.endsWith('*')) return namespace.startsWith(pattern.slice(0, -1));
		return pattern === namespace;
	});
}

export type DebugLog = (message: string) => void;

export function createDebug(namespace: string): DebugLog {
	const full = `vm-exec:${namespace}`;
	return (message) => {
		// Milliseconds since the process started, so a log shows where the time of a boot or exec goes.
		if (isEnabled(full)) process.stderr.write(`${full} ${performance.now().toFixed(0)}ms ${message}\n`);
	};
}
