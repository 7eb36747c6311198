/**
 * The command line of one launcher run, as a pure function. A launcher has the seed's interface:
 * `launcher [--quiet] [--initrd-console] [--shared=DIR] "bash script" [-- ...extra QEMU options]`.
 * It knows nothing of per-exec env or cwd, so those travel inside the script itself.
 */
import { shellQuote } from '../protocol/exec-files.js';

export interface LauncherRun {
	/** The launcher command and its leading arguments (`startVm({ launcher })`). */
	launcher: readonly string[];
	script: string;
	env: Readonly<Record<string, string>>;
	/** A guest directory to change to before the script runs; undefined: the launcher's default. */
	cwd: string | undefined;
	sharedDir: string | undefined;
	showBootConsole: boolean;
	qemuArgs: readonly string[];
}

/**
 * The script the launcher runs: `export`s and a `cd` ahead of the user's script. On a line of their own,
 * the user's script keeps its text; it is run by the launcher's shell (bash for the seed), so a `#!` line
 * on it is only a comment.
 */
export function buildLauncherScript(run: Pick<LauncherRun, 'script' | 'env' | 'cwd'>): string {
	const prologue = [
		...Object.entries(run.env).map(([key, value]) => `export ${key}=${shellQuote(value)}`),
		...(run.cwd === undefined ? [] : [`cd ${shellQuote(run.cwd)} || exit 1`]),
	];
	return prologue.length === 0 ? run.script : `${prologue.join('\n')}\n${run.script}`;
}

/** `[command, args]` for one exec. `--quiet` always: only the script's own output may reach the result. */
export function buildLauncherArgv(run: LauncherRun): [string, string[]] {
	const [command, ...leading] = run.launcher as [string, ...string[]];
	const args = [
		...leading,
		'--quiet',
		...(run.showBootConsole ? ['--initrd-console'] : []),
		...(run.sharedDir === undefined ? [] : [`--shared=${run.sharedDir}`]),
		buildLauncherScript(run),
		...(run.qemuArgs.length > 0 ? ['--', ...run.qemuArgs] : []),
	];
	return [command, args];
}
