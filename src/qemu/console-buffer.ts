/**
 * Keeps the tail of the guest console (and optionally mirrors it live to a stream).
 */
export class ConsoleBuffer {
	#text = '';
	readonly #maxChars: number;
	readonly #mirror: NodeJS.WritableStream | undefined;

	constructor(options: { maxChars?: number; mirror?: NodeJS.WritableStream } = {}) {
		this.#maxChars = options.maxChars ?? 256 * 1024;
		this.#mirror = options.mirror;
	}

	append(chunk: Buffer | string): void {
		const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
		this.#mirror?.write(text);
		this.#text += text.replaceAll('\r\n', '\n');
		if (this.#text.length > this.#maxChars * 2) this.#text = this.#text.slice(-this.#maxChars);
	}

	get text(): string {
		return this.#text.length > this.#maxChars ? this.#text.slice(-this.#maxChars) : this.#text;
	}
}
