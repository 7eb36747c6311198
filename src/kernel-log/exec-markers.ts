/**
 * vm-exec's own records in the guest's kernel log: the guest writes them to /dev/kmsg (a builtin echo, so
 * they cost no process) to say where each exec begins and ends, and the taint after it:
 *   `vm-exec: exec ID begin`             the runner, before it sources the exec;
 *   `vm-exec: exec ID end`               the runner, after the exec, before it answers `done ID STATUS`;
 *   `vm-exec: exec ID tainted=N`         init.sh's taint reader, asked by the runner right after the end
 *                                        marker: /proc/sys/kernel/tainted after the exec;
 *   `vm-exec: up tainted=N`              the taint reader, asked by the agent once the VM is up (the taint
 *                                        a VM is handed out with).
 * (A shell cannot read /proc/sys/kernel/tainted whole, hence the resident awk: see init.sh.) Being records
 * themselves, they are in the one order of the kernel's log (seq): every record between an exec's begin
 * and end was logged while it ran. Written by user space, they have facility 1 (LOG_USER), which no kernel
 * line has. Pure.
 */
import type { KernelLogRecord } from './kmsg-record.js';

export type ExecMarker =
	| { type: 'up'; tainted: number }
	| { type: 'begin'; id: string }
	| { type: 'end'; id: string }
	| { type: 'taint'; id: string; tainted: number };

const USER_FACILITY = 1;
const MARKER = /^vm-exec: (?:up tainted=(\d+)|exec ([a-z0-9]+) (?:(begin|end)|tainted=(\d+)))$/;

/** The marker a record is, or undefined for every other record. */
export function parseExecMarker(record: KernelLogRecord): ExecMarker | undefined {
	if (record.facility !== USER_FACILITY) return undefined;
	const match = MARKER.exec(record.text);
	if (!match) return undefined;
	if (match[1] !== undefined) return { type: 'up', tainted: Number(match[1]) };
	if (match[3] === 'begin') return { type: 'begin', id: match[2]! };
	if (match[3] === 'end') return { type: 'end', id: match[2]! };
	return { type: 'taint', id: match[2]!, tainted: Number(match[4]) };
}
