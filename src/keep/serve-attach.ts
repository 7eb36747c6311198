/**
 * The keeper's side of one `vm-exec attach` connection: open a shell port in the kept VM, start the
 * shell when the client's terminal is connected to it, pass resizes on, report the exit status, and end
 * the shell and remove its port when the client goes away.
 */
import type net from 'node:net';
import { openShellSession, type ShellSession, type ShellVm } from '../shell/shell-session.js';
import { type AttachReply, type AttachRequest, createMessageReader, formatMessage } from './attach-protocol.js';

export function serveAttach(vm: ShellVm, connection: net.Socket, log: (message: string) => void): void {
	let session: Promise<ShellSession> | undefined;
	const reply = (message: AttachReply) => {
		if (!connection.destroyed) connection.write(formatMessage(message));
	};
	const fail = (error: unknown) => {
		log(`attach failed: ${String(error)}`);
		reply({ type: 'error', message: error instanceof Error ? error.message : String(error) });
		connection.end();
	};
	connection.on(
		'data',
		createMessageReader<AttachRequest>((request) => {
			log(`attach: ${JSON.stringify(request)}`);
			if (request.type === 'open' && !session) {
				const term = /^[A-Za-z0-9._+-]+$/.test(request.term) ? request.term : 'xterm-256color';
				session = openShellSession(vm, {
					size: { rows: request.rows, cols: request.cols },
					env: { TERM: term },
					norc: request.norc === true,
				});
				session.then((opened) => reply({ type: 'port', path: opened.socketPath }), fail);
			} else if (request.type === 'start') {
				void session
					?.then((opened) => opened.start())
					.then((status) => {
						log(`attach: the shell exited with ${status}`);
						reply({ type: 'exit', status: status ?? null });
					}, fail);
			} else if (request.type === 'resize') {
				void session?.then((opened) => opened.resize({ rows: request.rows, cols: request.cols })).catch(() => {});
			}
		}),
	);
	connection.on('error', () => {});
	connection.on('close', () => {
		void session?.then((opened) => opened.close()).catch(() => {});
	});
}
