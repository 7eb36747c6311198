/**
 * `vm-exec attach <id>`: an interactive shell in a kept VM (see src/keep/), through its keeper. Several
 * attaches may be open at once; each has a shell of its own, and leaving one leaves the VM as it was.
 */
import net from 'node:net';
import { type AttachReply, createMessageReader, formatMessage } from '../../keep/attach-protocol.js';
import { findKeptVm } from '../../keep/kept-registry.js';
import type { RunIo } from '../run-script.js';
import { UsageError } from '../args/usage-error.js';
import { runShellSession } from './run-shell-session.js';
import { assertTerminal } from './shell-command.js';
import type { ShellSession, ShellSize } from '../../shell/shell-session.js';

export const ATTACH_USAGE = `Usage: vm-exec attach [--norc] <id>

Open an interactive shell in a VM kept after a failed test (\`vm-exec ps\` lists them; a failed test's
report ends with this command). Several shells may be attached at once; \`exit\` leaves the VM running
as it was, until \`vm-exec kill <id>\` or its time limit. Needs a terminal on stdin and stdout.
  --norc   Start bash without your startup files (/etc/profile, ~/.bashrc, …): they run under emulation in
           the VM, where a heavy ~/.bashrc (pyenv, nvm, …) can take many seconds
`;

/** A shell session a keeper runs for us: the same interface as a local one. */
function openRemoteSession(attachSocket: string, size: ShellSize, env: Record<string, string>, norc: boolean): Promise<ShellSession> {
	return new Promise((resolve, reject) => {
		const connection = net.connect(attachSocket);
		let onExit: ((status: number | undefined) => void) | undefined;
		let exited: number | undefined | null = null;
		connection.on('error', (error) => reject(error));
		connection.on('close', () => {
			reject(new Error('the keeper closed the connection'));
			onExit?.(undefined);
		});
		connection.on(
			'data',
			createMessageReader<AttachReply>((reply) => {
				if (reply.type === 'error') reject(new Error(reply.message));
				else if (reply.type === 'exit') {
					exited = reply.status ?? undefined;
					onExit?.(exited);
				} else if (reply.type === 'port') {
					resolve({
						socketPath: reply.path,
						start: () =>
							new Promise((done) => {
								onExit = done;
								connection.write(formatMessage({ type: 'start' }));
							}),
						resize: async (next) => {
							connection.write(formatMessage({ type: 'resize', rows: next.rows, cols: next.cols }));
						},
						close: async () => {
							connection.end();
						},
					});
				}
			}),
		);
		connection.write(formatMessage({ type: 'open', rows: size.rows, cols: size.cols, term: env.TERM ?? 'xterm-256color', norc }));
	});
}

export async function runAttachCommand(argv: readonly string[], io: RunIo): Promise<number> {
	const norc = argv.includes('--norc');
	const ids = argv.filter((arg) => arg !== '--norc');
	const id = ids[0];
	if (!id || ids.length > 1 || id.startsWith('-'))
		throw new UsageError('Expected one kept VM id: `vm-exec attach [--norc] <id>` (`vm-exec ps` lists them).');
	const record = await findKeptVm(id);
	if (!record) {
		io.stderr.write(
			`vm-exec: no kept VM with the id ${id} (it may have reached its time limit or been killed). \`vm-exec ps\` lists the kept VMs.\n`,
		);
		return 1;
	}
	assertTerminal(io, '`vm-exec attach`');
	io.stderr.write(
		`vm-exec: attached to the VM of "${record.name}" (kept until ${new Date(record.deadline).toLocaleTimeString()}); \`exit\` leaves it running\r\n`,
	);
	const controller = new AbortController();
	const stop = () => controller.abort();
	for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.once(signal, stop);
	try {
		const status = await runShellSession((size, env) => openRemoteSession(record.attachSocket, size, env, norc), io, controller.signal);
		if (status === undefined) {
			io.stderr.write('vm-exec: the kept VM went away.\n');
			return 1;
		}
		return status;
	} catch (error) {
		io.stderr.write(`vm-exec: cannot attach to ${id}: ${error instanceof Error ? error.message : String(error)}\n`);
		return 1;
	} finally {
		for (const signal of ['SIGTERM', 'SIGHUP'] as const) process.off(signal, stop);
	}
}
