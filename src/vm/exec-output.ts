/**
 * Reading an exec's stdout/stderr files from the exchange directory. They are plain host files that
 * QEMU's 9p server writes as the guest writes, so they can be streamed while the command runs.
 */
import { open, readFile } from 'node:fs/promises';

const POLL_MS = 25;

interface Stream {
	file: string;
	offset: number;
	chunks: Buffer[];
	callback: ((chunk: Buffer) => void) | undefined;
}

async function readNew(stream: Stream): Promise<void> {
	const handle = await open(stream.file, 'r').catch(() => undefined);
	if (!handle) return;
	try {
		for (;;) {
			const buffer = Buffer.alloc(256 * 1024);
			const { bytesRead } = await handle.read(buffer, 0, buffer.length, stream.offset);
			if (bytesRead === 0) return;
			const chunk = buffer.subarray(0, bytesRead);
			stream.offset += bytesRead;
			stream.chunks.push(chunk);
			stream.callback?.(chunk);
		}
	} finally {
		await handle.close();
	}
}

export function readExecOutput(
	stdoutFile: string,
	stderrFile: string,
	callbacks: { onStdout?: ((chunk: Buffer) => void) | undefined; onStderr?: ((chunk: Buffer) => void) | undefined },
) {
	const streams: Stream[] = [
		{ file: stdoutFile, offset: 0, chunks: [], callback: callbacks.onStdout },
		{ file: stderrFile, offset: 0, chunks: [], callback: callbacks.onStderr },
	];
	const streaming = Boolean(callbacks.onStdout || callbacks.onStderr);
	let polling: Promise<void> = Promise.resolve();
	let timer: NodeJS.Timeout | undefined;
	const poll = () => {
		polling = polling
			.then(() => Promise.all(streams.map(readNew)))
			.then(
				() => {},
				() => {},
			);
	};
	if (streaming) timer = setInterval(poll, POLL_MS);
	return {
		/** After the command ended: everything it wrote. */
		async finish(): Promise<{ stdout: Buffer; stderr: Buffer }> {
			if (timer) clearInterval(timer);
			timer = undefined;
			if (!streaming) {
				const [stdout, stderr] = await Promise.all(streams.map((stream) => readFile(stream.file).catch(() => Buffer.alloc(0))));
				return { stdout: stdout!, stderr: stderr! };
			}
			await polling;
			await Promise.all(streams.map(readNew));
			return { stdout: Buffer.concat(streams[0]!.chunks), stderr: Buffer.concat(streams[1]!.chunks) };
		},
		stop() {
			if (timer) clearInterval(timer);
			timer = undefined;
		},
	};
}
