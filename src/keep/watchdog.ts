/**
 * The bound on a keepable VM's life that holds whatever happens to the processes around it. A VM that may
 * be kept runs without a parent-death signal (it must outlive the test runner when kept), so a detached
 * shell loop watches it instead, started with QEMU:
 *   - while the runner lives, it only waits (the runner closes the VM, or keeps it);
 *   - when the runner is gone and the VM was not kept, it kills QEMU at once and removes the workspace;
 *   - when the VM was kept (its marker in the kept dir), it kills QEMU at the marker's deadline, or as
 *     soon as the keeper is gone (killed), and removes the kept workspace.
 * A shell loop rather than a Node process: ~1 MB and a fork a second, for a guarantee that must not
 * depend on the keeper (which serves attaches and could itself be killed).
 */
import { spawn } from 'node:child_process';
import { keptMarkerPath } from './kept-marker.js';

export const WATCHDOG_SCRIPT = `ws=$1 qemu=$2 runner=$3 marker=$4
alive() { kill -0 "$1" 2>/dev/null; }
while alive "$runner" && alive "$qemu"; do sleep 1; done
if [ -f "$marker" ]; then
	read -r deadline keeper kept_ws <"$marker"
	while alive "$qemu" && [ "$(date +%s)" -lt "$deadline" ] && alive "$keeper"; do sleep 1; done
	alive "$qemu" && kill -9 "$qemu"
	rm -rf "$kept_ws" "$marker"
elif ! alive "$runner"; then
	alive "$qemu" && kill -9 "$qemu"
	rm -rf "$ws"
fi
`;

export function startWatchdog(input: { workspace: string; qemuPid: number; runnerPid?: number }): void {
	const marker = keptMarkerPath(input.qemuPid);
	const child = spawn(
		'/bin/sh',
		['-c', WATCHDOG_SCRIPT, 'vm-exec-watchdog', input.workspace, String(input.qemuPid), String(input.runnerPid ?? process.pid), marker],
		{
			detached: true,
			stdio: 'ignore',
		},
	);
	child.on('error', () => {});
	child.unref();
}
