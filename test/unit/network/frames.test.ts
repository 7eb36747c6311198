import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameSplitter, MAX_FRAME_BYTES } from '../../../src/network/frames.js';

describe('encodeFrame', () => {
	it('prefixes a frame with its length as 4 big-endian bytes, as QEMU stream sockets expect', () => {
		expect(encodeFrame(Buffer.from('abc'))).toEqual(Buffer.from([0, 0, 0, 3, 0x61, 0x62, 0x63]));
	});
});

describe('FrameSplitter', () => {
	it('cuts a stream into frames however the bytes are chunked', () => {
		const stream = Buffer.concat([
			encodeFrame(Buffer.from('first')),
			encodeFrame(Buffer.alloc(0)),
			encodeFrame(Buffer.from('second frame')),
		]);
		for (const size of [1, 2, 3, 5, 7, stream.length]) {
			const splitter = new FrameSplitter();
			const frames: string[] = [];
			for (let offset = 0; offset < stream.length; offset += size) {
				frames.push(...splitter.push(stream.subarray(offset, offset + size)).map(String));
			}
			expect(frames).toEqual(['first', '', 'second frame']);
		}
	});

	it('does not keep a reference to the caller’s chunk', () => {
		const splitter = new FrameSplitter();
		const chunk = encodeFrame(Buffer.from('xy'));
		const [frame] = splitter.push(chunk);
		chunk.fill(0);
		expect(String(frame)).toBe('xy');
	});

	it('throws on an impossible length (a stream out of sync)', () => {
		const header = Buffer.alloc(4);
		header.writeUInt32BE(MAX_FRAME_BYTES + 1);
		expect(() => new FrameSplitter().push(header)).toThrow('Corrupt network stream');
	});
});
