/**
 * The host end of an interactive shell: the user's terminal in raw mode, its bytes to the shell's console
 * socket and back, its window size changes passed on. Raw mode means ^C, ^Z and ^\ are bytes for the
 * guest's terminal (whose line discipline turns them into signals for the guest's foreground job), not
 * signals for vm-exec.
 */
import net from 'node:net';
import type { ShellSize } from '../../shell/shell-session.js';

export interface TerminalIo {
	stdin: NodeJS.ReadStream;
	stdout: NodeJS.WritableStream;
}

export interface TerminalLink {
	/** Wait until the guest has gone quiet (its last output after the shell's exit arrives on its own path), then restore the terminal. */
	finish(): Promise<void>;
}

/** How long the output must be quiet after the shell exited before the terminal is given back. */
const QUIET_MS = 150;
const MAX_DRAIN_MS = 2000;

/** The terminal's size, or 24×80 when it does not say. */
export function terminalSize(stdout: NodeJS.WritableStream): ShellSize {
	const tty = stdout as NodeJS.WriteStream;
	return { rows: tty.rows || 24, cols: tty.columns || 80 };
}

export async function connectTerminal(socketPath: string, io: TerminalIo, onResize: (size: ShellSize) => void): Promise<TerminalLink> {
	const socket = await new Promise<net.Socket>((resolve, reject) => {
		const connection = net.connect(socketPath, () => resolve(connection));
		connection.once('error', reject);
	});
	let lastData = performance.now();
	socket.on('data', (chunk: Buffer) => {
		lastData = performance.now();
		io.stdout.write(chunk);
	});
	socket.on('error', () => {});
	const wasRaw = io.stdin.isTTY ? io.stdin.isRaw : false;
	if (io.stdin.isTTY) io.stdin.setRawMode(true);
	const onInput = (chunk: Buffer) => socket.write(chunk);
	io.stdin.on('data', onInput);
	io.stdin.resume();
	const onWindowChange = () => onResize(terminalSize(io.stdout));
	io.stdout.on('resize', onWindowChange);
	return {
		async finish() {
			const started = performance.now();
			while (performance.now() - lastData < QUIET_MS && performance.now() - started < MAX_DRAIN_MS) {
				await new Promise((resolve) => setTimeout(resolve, QUIET_MS / 3));
			}
			io.stdout.off('resize', onWindowChange);
			io.stdin.off('data', onInput);
			if (io.stdin.isTTY) io.stdin.setRawMode(wasRaw);
			io.stdin.pause();
			socket.destroy();
		},
	};
}
