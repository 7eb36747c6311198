/**
 * The host end of the control serial line: parses guest messages, sends host messages.
 */
import type net from 'node:net';
import { createDebug } from '../debug.js';
import { formatHostMessage, type GuestMessage, type HostMessage, LineSplitter, parseGuestMessage } from './messages.js';

const debug = createDebug('protocol');

export class ControlChannel {
	readonly #socket: net.Socket;
	readonly #listeners = new Set<(message: GuestMessage) => void>();
	readonly #splitter = new LineSplitter();

	constructor(socket: net.Socket) {
		this.#socket = socket;
		socket.setEncoding('latin1');
		socket.on('data', (chunk: string) => {
			for (const line of this.#splitter.push(chunk)) {
				if (line.trim() === '') continue;
				debug(`guest → ${line}`);
				const message = parseGuestMessage(line);
				for (const listener of [...this.#listeners]) listener(message);
			}
		});
	}

	send(message: HostMessage): void {
		const line = formatHostMessage(message);
		debug(`host → ${line.trimEnd()}`);
		if (!this.#socket.destroyed) this.#socket.write(line);
	}

	/** Subscribe; returns the unsubscribe function. */
	onMessage(listener: (message: GuestMessage) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Resolves with the first message matching `predicate`. */
	waitFor<T extends GuestMessage>(predicate: (message: GuestMessage) => message is T): Promise<T> {
		return new Promise((resolve) => {
			const off = this.onMessage((message) => {
				if (predicate(message)) {
					off();
					resolve(message);
				}
			});
		});
	}

	destroy(): void {
		this.#listeners.clear();
		this.#socket.destroy();
	}
}
