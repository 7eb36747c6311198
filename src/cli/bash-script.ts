/**
 * The seed runs the CLI's script with bash, so we do too: a `#!` line naming the host's bash (the guest's
 * root is the host's /, so the same path works there). A script with its own `#!` line keeps it. The
 * price: bash's error messages count the added line (they say "line 2" for the script's first line).
 */
export function toBashScript(script: string, bashPath: string | undefined): string {
	if (script.startsWith('#!') || !bashPath) return script;
	return `#!${bashPath}\n${script}`;
}
