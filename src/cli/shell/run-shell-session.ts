/**
 * One interactive shell on this process's terminal: open the session (a port in a VM of this process, or
 * one a keeper opened in a kept VM), connect the terminal, run the shell to its end, give the terminal back.
 */
import type { RunIo } from '../run-script.js';
import type { ShellSession, ShellSize } from '../../shell/shell-session.js';
import { connectTerminal, terminalSize } from './terminal.js';

export async function runShellSession(
	open: (size: ShellSize, env: Record<string, string>) => Promise<ShellSession>,
	io: RunIo,
	signal: AbortSignal,
): Promise<number | undefined> {
	const session = await open(terminalSize(io.stdout), shellEnv());
	try {
		const link = await connectTerminal(session.socketPath, io, (size) => void session.resize(size));
		const onAbort = () => void session.close();
		signal.addEventListener('abort', onAbort, { once: true });
		try {
			return await session.start();
		} finally {
			signal.removeEventListener('abort', onAbort);
			await link.finish();
		}
	} finally {
		await session.close();
	}
}

/** The host terminal's type, so that the guest's programs draw for it. */
export function shellEnv(): Record<string, string> {
	const term = process.env.TERM;
	return term && /^[A-Za-z0-9._+-]+$/.test(term) ? { TERM: term } : { TERM: 'xterm-256color' };
}
