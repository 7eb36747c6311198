/**
 * The `memory` option: a number of MiB or a size string.
 */
import { invalid } from './validators.js';

/** Parse `'512M'`, `'1G'`, `'256'` (MiB) or a number of MiB. */
export function parseMemoryMiB(value: unknown): number {
	const range = 'a number of MiB from 64 to 65536 or a string like `512M` or `2G`';
	if (typeof value === 'number') {
		if (!Number.isInteger(value) || value < 64 || value > 65536) throw invalid('memory', range, value);
		return value;
	}
	if (typeof value === 'string') {
		const match = /^\s*(\d+)\s*([MmGg])?i?[Bb]?\s*$/.exec(value);
		if (match) {
			const amount = Number(match[1]) * ((match[2] ?? 'M').toUpperCase() === 'G' ? 1024 : 1);
			if (amount >= 64 && amount <= 65536) return amount;
		}
	}
	throw invalid('memory', range, value);
}
