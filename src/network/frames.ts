/**
 * The framing of QEMU's `stream` (and legacy `socket`) network backends: every Ethernet frame is sent
 * as a 4-byte big-endian length followed by the frame. Pure.
 */

/** Longest frame accepted: a jumbo frame plus headers. Anything larger means the stream is out of sync. */
export const MAX_FRAME_BYTES = 65_536;

/** Prefix a frame with its length, as QEMU expects it. */
export function encodeFrame(frame: Uint8Array): Buffer {
	const header = Buffer.alloc(4);
	header.writeUInt32BE(frame.length, 0);
	return Buffer.concat([header, frame]);
}

/** Cuts a byte stream into frames; keeps a partial frame until the rest of it arrives. */
export class FrameSplitter {
	#pending: Buffer = Buffer.alloc(0);

	/** Feed a chunk; returns the frames it completed. Throws if a length is impossible (a corrupt stream). */
	push(chunk: Buffer): Buffer[] {
		let data = this.#pending.length > 0 ? Buffer.concat([this.#pending, chunk]) : chunk;
		const frames: Buffer[] = [];
		while (data.length >= 4) {
			const length = data.readUInt32BE(0);
			if (length > MAX_FRAME_BYTES) throw new Error(`Corrupt network stream: a frame of ${length} bytes`);
			if (data.length < 4 + length) break;
			frames.push(Buffer.from(data.subarray(4, 4 + length)));
			data = data.subarray(4 + length);
		}
		this.#pending = Buffer.from(data);
		return frames;
	}
}
