/**
 * What `vm-exec attach` and a keeper say to each other on the keeper's socket: JSON lines.
 *   client → keeper   {type:'open', rows, cols, term, norc?}  open a shell port sized so (norc: no startup files)
 *   keeper → client   {type:'port', path}                connect the terminal to this socket, then
 *   client → keeper   {type:'start'}                     start the shell
 *   client → keeper   {type:'resize', rows, cols}        the window size changed
 *   keeper → client   {type:'exit', status}              the shell exited (status null: the VM went away)
 *   keeper → client   {type:'error', message}
 * Closing the connection ends the shell and removes its port.
 */
export type AttachRequest =
	| { type: 'open'; rows: number; cols: number; term: string; norc?: boolean }
	| { type: 'start' }
	| { type: 'resize'; rows: number; cols: number };

export type AttachReply = { type: 'port'; path: string } | { type: 'exit'; status: number | null } | { type: 'error'; message: string };

export function formatMessage(message: AttachRequest | AttachReply): string {
	return `${JSON.stringify(message)}\n`;
}

/** Split a stream into JSON messages; malformed lines are skipped. */
export function createMessageReader<T>(onMessage: (message: T) => void): (chunk: Buffer | string) => void {
	let pending = '';
	return (chunk) => {
		pending += chunk.toString();
		const lines = pending.split('\n');
		pending = lines.pop() ?? '';
		for (const line of lines) {
			if (!line.trim()) continue;
			try {
				onMessage(JSON.parse(line) as T);
			} catch {}
		}
	};
}
