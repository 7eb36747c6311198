import { describe, expect, it } from 'vitest';
import { sampleOffsets } from '../../../src/snapshot/digest.js';

describe('sampleOffsets', () => {
	it('reads a small file whole', () => {
		expect(sampleOffsets(1000)).toEqual([0]);
	});
	it('samples the first block, the last block and evenly spaced ones between', () => {
		const offsets = sampleOffsets(100 * 1024 * 1024, 4, 1024);
		expect(offsets).toEqual([
			0,
			Math.round((100 * 1024 * 1024 - 1024) / 3),
			Math.round((2 * (100 * 1024 * 1024 - 1024)) / 3),
			100 * 1024 * 1024 - 1024,
		]);
	});
});
