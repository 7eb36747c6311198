/**
 * The host↔guest control protocol: short text lines on the guest's second serial port (ttyS1).
 * Bulk data (scripts, stdin, stdout, stderr) never travels here: it goes through the 9p exchange dir.
 *
 *   guest → host   ready              init is up, modules loaded, no 9p mounted (snapshot point)
 *                  up                 root file system built, agent waiting for commands
 *                  done ID STATUS     exec ID finished with exit status STATUS
 *                  error TEXT         init could not set up the VM
 *                  pong N             answer to ping N (the agent is alive and reading)
 *   host → guest   go                 mount xchg, read boot.env, build the root
 *                  run ID             run xchg/ID.sh
 *                  kill ID            kill exec ID's whole process tree
 *                  reap ID            exec ID's result arrived: remove its cgroup
 *                  ping N             liveness check, sent only while a call waits on the guest
 *                  reboot             leave now (QEMU exits: it runs with -no-reboot)
 */

export type GuestMessage =
	| { type: 'ready' }
	| { type: 'up' }
	| { type: 'done'; id: string; status: number }
	| { type: 'error'; text: string }
	| { type: 'pong'; id: string }
	| { type: 'unknown'; line: string };

export type HostMessage =
	| { type: 'go' }
	| { type: 'run'; id: string }
	| { type: 'kill'; id: string }
	| { type: 'reap'; id: string }
	| { type: 'ping'; id: string }
	| { type: 'reboot' };

const ID_PATTERN = /^[a-z0-9]{1,32}$/;

export function isValidExecId(id: string): boolean {
	return ID_PATTERN.test(id);
}

export function parseGuestMessage(line: string): GuestMessage {
	const trimmed = line.replace(/\r$/, '');
	const [verb = '', ...rest] = trimmed.split(' ');
	if (verb === 'ready' && rest.length === 0) return { type: 'ready' };
	if (verb === 'up' && rest.length === 0) return { type: 'up' };
	if (verb === 'error') return { type: 'error', text: rest.join(' ') };
	if (verb === 'pong' && rest.length === 1 && isValidExecId(rest[0]!)) return { type: 'pong', id: rest[0]! };
	if (verb === 'done' && rest.length === 2 && isValidExecId(rest[0]!) && /^\d{1,3}$/.test(rest[1]!)) {
		return { type: 'done', id: rest[0]!, status: Number(rest[1]) };
	}
	return { type: 'unknown', line: trimmed };
}

export function formatHostMessage(message: HostMessage): string {
	switch (message.type) {
		case 'go':
		case 'reboot':
			return `${message.type}\n`;
		case 'run':
		case 'kill':
		case 'reap':
		case 'ping':
			if (!isValidExecId(message.id)) throw new Error(`Invalid exec id: ${message.id}`);
			return `${message.type} ${message.id}\n`;
	}
}

/** Splits a byte stream into lines; keeps the partial last line until its newline arrives. */
export class LineSplitter {
	#pending = '';

	/** Feed a chunk; returns the complete lines it finished (without their newline). */
	push(chunk: string): string[] {
		const text = this.#pending + chunk;
		const lines = text.split('\n');
		this.#pending = lines.pop() ?? '';
		return lines;
	}
}
