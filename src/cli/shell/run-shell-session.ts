/**
 * One interactive shell in a VM of this process, on this process's terminal: open the guest port, connect
 * the terminal, run the shell to its end, and give the terminal back.
 */
import type { RunIo } from '../run-script.js';
import { openShellSession, type ShellVm } from './shell-session.js';
import { connectTerminal, terminalSize } from './terminal.js';

export async function runShellSession(vm: ShellVm, io: RunIo, signal: AbortSignal): Promise<number | undefined> {
	const session = await openShellSession(vm, { size: terminalSize(io.stdout), env: shellEnv() });
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
