/**
 * A minimal QMP (QEMU Machine Protocol) client over the already-connected QMP socket:
 * JSON lines; a greeting, `qmp_capabilities`, then commands answered in order, events in between.
 */
import type net from 'node:net';
import { createDebug } from '../debug.js';
import { LineSplitter } from '../protocol/messages.js';

const debug = createDebug('qmp');

export class QmpError extends Error {
	override name = 'QmpError';
}

type Pending = { resolve(value: unknown): void; reject(error: Error): void; command: string };

export class QmpClient {
	readonly #socket: net.Socket;
	readonly #pending: Pending[] = [];
	readonly #eventListeners = new Set<(event: { event: string; data?: unknown }) => void>();
	readonly #ready: Promise<void>;

	private constructor(socket: net.Socket, adopted = false) {
		this.#socket = socket;
		let greeted!: () => void;
		const greeting = new Promise<void>((resolve) => {
			greeted = resolve;
		});
		const splitter = new LineSplitter();
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => {
			for (const line of splitter.push(chunk)) {
				if (!line.trim()) continue;
				let message: Record<string, unknown>;
				try {
					message = JSON.parse(line) as Record<string, unknown>;
				} catch {
					continue;
				}
				if ('QMP' in message) greeted();
				else if ('event' in message) {
					debug(`event ${line}`);
					for (const listener of this.#eventListeners) listener(message as { event: string; data?: unknown });
				} else if ('return' in message || 'error' in message) {
					const pending = this.#pending.shift();
					if (!pending) continue;
					if ('error' in message) {
						const error = message.error as { desc?: string; class?: string };
						pending.reject(new QmpError(`QMP command ${pending.command} failed: ${error.desc ?? error.class ?? 'unknown error'}`));
					} else pending.resolve(message.return);
				}
			}
		});
		const fail = () => {
			for (const pending of this.#pending.splice(0)) pending.reject(new QmpError(`QMP connection closed during ${pending.command}`));
		};
		socket.on('close', fail);
		socket.on('error', fail);
		this.#ready = adopted
			? this.#send('qmp_capabilities').then(
					() => {},
					() => {},
				)
			: greeting.then(async () => {
					await this.#send('qmp_capabilities');
				});
	}

	/**
	 * Take over a QMP connection another process opened (a kept VM's keeper): its greeting may have been
	 * read there already, so capabilities are negotiated without waiting for it (an already negotiated
	 * session answers with an error, which is fine).
	 */
	static adopt(socket: net.Socket): QmpClient {
		return new QmpClient(socket, true);
	}

	/** Wrap a connected QMP socket; resolves after the capabilities handshake. */
	static async connect(socket: net.Socket): Promise<QmpClient> {
		const client = new QmpClient(socket);
		await client.#ready;
		return client;
	}

	#send(command: string, args?: Record<string, unknown>): Promise<unknown> {
		return new Promise((resolve, reject) => {
			if (this.#socket.destroyed) {
				reject(new QmpError(`QMP connection closed before ${command}`));
				return;
			}
			this.#pending.push({ resolve, reject, command });
			const line = JSON.stringify(args ? { execute: command, arguments: args } : { execute: command });
			debug(`→ ${line}`);
			this.#socket.write(`${line}\n`);
		});
	}

	/** Run a QMP command; resolves with its `return` value. */
	async execute<T = unknown>(command: string, args?: Record<string, unknown>): Promise<T> {
		await this.#ready;
		return (await this.#send(command, args)) as T;
	}

	/** Run a human monitor (HMP) command, e.g. `hostfwd_add tcp::8080-:80`; resolves with its output. */
	async humanMonitorCommand(commandLine: string): Promise<string> {
		return this.execute<string>('human-monitor-command', { 'command-line': commandLine });
	}

	onEvent(listener: (event: { event: string; data?: unknown }) => void): () => void {
		this.#eventListeners.add(listener);
		return () => this.#eventListeners.delete(listener);
	}

	close(): void {
		this.#socket.destroy();
	}
}
