/**
 * Driving a command on a real terminal: a tmux server of its own (its own socket, so tests never touch a
 * user's tmux), send-keys in, capture-pane out. Every wait is bounded.
 */
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';

export interface Tmux {
	/** Type keys (tmux key names such as `Enter` and `C-c`, or literal text). */
	send(...keys: string[]): Promise<void>;
	/** The visible screen, trailing blank lines removed. */
	screen(): Promise<string>;
	/** Wait until the screen matches (or `timeoutMs` passes: then throw with the screen). */
	waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
	resize(cols: number, rows: number): Promise<void>;
	/** The command's exit status once it ended (the session prints it), within `timeoutMs`. */
	exitStatus(timeoutMs?: number): Promise<number>;
	kill(): Promise<void>;
}

export async function startInTmux(command: string, options: { cols?: number; rows?: number } = {}): Promise<Tmux> {
	const server = `vmx-test-${randomBytes(4).toString('hex')}`;
	const tmux = (...args: string[]) => execa('tmux', ['-L', server, ...args], { timeout: 10_000 });
	// The status is printed after the command, then the pane stays so it can be read.
	await tmux(
		'new-session',
		'-d',
		'-s',
		't',
		'-x',
		String(options.cols ?? 100),
		'-y',
		String(options.rows ?? 30),
		`${command}; echo "EXIT-STATUS=$?"; sleep 600`,
	);
	const screen = async () => (await tmux('capture-pane', '-p', '-t', 't')).stdout.replace(/\n+$/, '');
	const waitFor = async (pattern: RegExp, timeoutMs = 60_000) => {
		const deadline = Date.now() + timeoutMs;
		let text = '';
		while (Date.now() < deadline) {
			text = await screen();
			if (pattern.test(text)) return text;
			await new Promise((resolve) => setTimeout(resolve, 200));
		}
		throw new Error(`The terminal did not show ${pattern} within ${timeoutMs} ms. Screen:\n${text}`);
	};
	return {
		async send(...keys) {
			await tmux('send-keys', '-t', 't', ...keys);
		},
		screen,
		waitFor,
		async resize(cols, rows) {
			await tmux('resize-window', '-t', 't', '-x', String(cols), '-y', String(rows));
		},
		async exitStatus(timeoutMs = 30_000) {
			const text = await waitFor(/EXIT-STATUS=\d+/, timeoutMs);
			return Number(/EXIT-STATUS=(\d+)/.exec(text)![1]);
		},
		async kill() {
			await tmux('kill-server').catch(() => {});
		},
	};
}
