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
		if (isEnabled(full)) process.stderr.write(`${full} ${message}\n`);
	};
}
