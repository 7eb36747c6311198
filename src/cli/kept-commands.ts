/**
 * `vm-exec ps` (the kept VMs: id, test, age, time left, QEMU pid) and `vm-exec kill <id>|--all`.
 */
import { isProcessAlive } from '../lifecycle/process-alive.js';
import { type KeptVmRecord, listKeptVms, removeKeptRecord } from '../keep/kept-registry.js';
import type { CliIo } from './cli-io.js';
import { UsageError } from './args/usage-error.js';

export const PS_USAGE = `Usage: vm-exec ps

List the VMs kept after failed tests (run with VM_EXEC_KEEP=failed or the \`keep: 'failed'\` option): their id,
age, time left before they are stopped, QEMU pid and the test whose failure kept them.
`;

export const KILL_USAGE = `Usage: vm-exec kill <id>
       vm-exec kill --all

Stop a kept VM (\`vm-exec ps\` lists their ids), or all of them. A kept VM also stops by itself at its
time limit (30 min unless VM_EXEC_KEEP_LIMIT or the \`keepLimit\` option says otherwise).
`;

function formatDuration(ms: number): string {
	const seconds = Math.max(0, Math.round(ms / 1000));
	if (seconds < 60) return `${seconds}s`;
	const minutes = Math.floor(seconds / 60);
	return minutes < 60
		? `${minutes}m${String(seconds % 60).padStart(2, '0')}s`
		: `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** The `vm-exec ps` table (pure). */
export function formatKeptTable(records: readonly KeptVmRecord[], now: number): string {
	if (records.length === 0) return 'No kept VMs. (Run tests with VM_EXEC_KEEP=failed to keep the VM of a failed test.)\n';
	const rows = [
		['ID', 'AGE', 'LEFT', 'PID', 'TEST'],
		...records.map((r) => [r.id, formatDuration(now - r.keptAt), formatDuration(r.deadline - now), String(r.qemuPid), r.name]),
	];
	const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
	return `${rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n')}\n`;
}

export async function runPsCommand(argv: readonly string[], io: CliIo): Promise<number> {
	if (argv.length > 0) throw new UsageError(`\`vm-exec ps\` takes no arguments, got \`${argv[0]}\`.`);
	io.stdout.write(formatKeptTable(await listKeptVms(), Date.now()));
	return 0;
}

async function waitGone(pid: number, ms: number): Promise<boolean> {
	const deadline = Date.now() + ms;
	while (Date.now() < deadline) {
		if (!isProcessAlive(pid)) return true;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	return !isProcessAlive(pid);
}

async function killKept(record: KeptVmRecord): Promise<void> {
	// The keeper stops QEMU and cleans up; if it does not answer, QEMU is killed here (the watchdog removes the rest).
	try {
		process.kill(record.keeperPid, 'SIGTERM');
	} catch {}
	if (!(await waitGone(record.qemuPid, 5000))) {
		try {
			process.kill(record.qemuPid, 'SIGKILL');
		} catch {}
		await waitGone(record.qemuPid, 2000);
	}
	await removeKeptRecord(record.id);
}

export async function runKillCommand(argv: readonly string[], io: CliIo): Promise<number> {
	const all = argv.length === 1 && argv[0] === '--all';
	if (argv.length !== 1 || (!all && argv[0]!.startsWith('-')))
		throw new UsageError('Expected `vm-exec kill <id>` or `vm-exec kill --all`.');
	const records = await listKeptVms();
	const targets = all ? records : records.filter((record) => record.id === argv[0]);
	if (!all && targets.length === 0) {
		io.stderr.write(`vm-exec: no kept VM with the id ${argv[0]}. \`vm-exec ps\` lists them.\n`);
		return 1;
	}
	for (const record of targets) {
		await killKept(record);
		io.stdout.write(`killed ${record.id} (${record.name})\n`);
	}
	return 0;
}
