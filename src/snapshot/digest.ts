/**
 * The check that catches a snapshot file truncated or overwritten after it was saved: its size and a
 * digest of sampled blocks, recorded in the sidecar. Sampling rather than hashing the whole file keeps
 * the check at milliseconds instead of a read of ~100 MB before every restore.
 */
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';

const SAMPLE_COUNT = 32;
const SAMPLE_BYTES = 64 * 1024;

/** The offsets of the sampled blocks: the first and last block and evenly spaced ones in between. */
export function sampleOffsets(size: number, count = SAMPLE_COUNT, block = SAMPLE_BYTES): number[] {
	if (size <= count * block) return [0];
	const last = size - block;
	return Array.from({ length: count }, (_, index) => Math.round((last * index) / (count - 1)));
}

/** sha256 over the size and the sampled blocks of a file (the whole file when it is small). */
export async function digestSamples(file: string, size: number): Promise<string> {
	const hash = createHash('sha256').update(String(size));
	const handle = await open(file, 'r');
	try {
		const whole = size <= SAMPLE_COUNT * SAMPLE_BYTES;
		const buffer = Buffer.alloc(whole ? size : SAMPLE_BYTES);
		for (const offset of sampleOffsets(size)) {
			const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
			hash.update(buffer.subarray(0, bytesRead));
		}
	} finally {
		await handle.close();
	}
	return hash.digest('hex');
}

/** Why a saved file does not match what its sidecar recorded, or undefined when it does. */
export async function checkSavedFile(file: string, what: string, size: number, sampleSha256: string): Promise<string | undefined> {
	const info = await stat(file).catch(() => undefined);
	if (!info?.isFile()) return `its ${what} file ${path.basename(file)} is missing`;
	if (info.size !== size) return `its ${what} file is ${info.size} bytes, ${size} were saved (truncated?)`;
	if ((await digestSamples(file, info.size)) !== sampleSha256) return `its ${what} file does not match its checksum`;
	return undefined;
}
