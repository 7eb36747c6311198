/**
 * The guest's shell scripts, read from the files next to this module: `src/guest/` when run from the
 * sources (Vitest, tsx), `dist/guest/` in the package (the build copies them there, `files` ships them).
 * - `init.sh`: the guest's PID 1 (run by busybox ash), packed as `/init`;
 * - packed in `/etc/vm-exec/`: `runner.sh`, the program of the runner (the host's shell that runs each
 *   exec), and the parts of the init that run after `go`, which it sources: `root.sh` (building the
 *   guest's root), `network.sh` (network cards), `coldplug.sh` (the drivers of the devices present at `go`)
 *   and `hotplug.sh` (run for each later device event: drivers and /dev/disk/by-id links).
 * All are real files so that shellcheck checks them (`npm run lint`); see init.sh's header for the
 * guest's life.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { VmBootError } from '../errors.js';

export interface GuestScripts {
	/** The text of init.sh. */
	init: string;
	/** The texts of the scripts packed in /etc/vm-exec/, by file name (runner.sh, root.sh, network.sh, coldplug.sh, hotplug.sh). */
	files: Readonly<Record<string, string>>;
}

/** The scripts packed in /etc/vm-exec/ next to /init. */
const PACKED_SCRIPTS = ['runner.sh', 'root.sh', 'network.sh', 'coldplug.sh', 'hotplug.sh'] as const;

let scripts: GuestScripts | undefined;

/**
 * The runner's program: runner.sh without the lines that are only a comment (and without a last newline),
 * so that the runner's command line (what `ps` shows in the guest) is the program alone. Packed as
 * /etc/vm-exec/runner, which init.sh reads whole with a builtin: stripping it in the guest cost a process.
 */
export function runnerProgram(runner: string): string {
	return runner
		.split('\n')
		.filter((line) => !/^[ \t]*#/.test(line))
		.join('\n')
		.replace(/\n+$/, '');
}

/**
 * The guest's scripts, read once per process. They belong to the installed package and do not change
 * under it; a synchronous read keeps the initramfs's entries a plain function of its inputs.
 */
export function readGuestScripts(): GuestScripts {
	scripts ??= { init: readScript('init.sh'), files: Object.fromEntries(PACKED_SCRIPTS.map((name) => [name, readScript(name)])) };
	return scripts;
}

function readScript(name: string): string {
	const url = new URL(name, import.meta.url);
	try {
		return readFileSync(url, 'utf8');
	} catch (error) {
		throw new VmBootError(
			`Cannot read the guest script ${fileURLToPath(url)}: this copy of vm-exec is incomplete. Reinstall it (in a checkout, run \`npm run build\`).`,
			{ cause: error },
		);
	}
}
