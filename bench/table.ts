/**
 * Shared helpers for benchmarks: repeat a measurement, print rows as a table.
 */
export interface BenchRow {
	metric: string;
	unit: 'ms' | 'MiB' | '%';
	samples: number[];
	target?: string;
}

export function median(values: readonly number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export async function sample(count: number, measure: (index: number) => Promise<number>): Promise<number[]> {
	const samples: number[] = [];
	for (let index = 0; index < count; index++) samples.push(await measure(index));
	return samples;
}

export function formatTable(rows: readonly BenchRow[]): string {
	const header = ['metric', 'median', 'min', 'max', 'n', 'target'];
	const body = rows.map((row) => {
		const digits = row.unit === 'ms' && median(row.samples) < 100 ? 1 : 0;
		const format = (value: number) => `${value.toFixed(digits)} ${row.unit}`;
		return [
			row.metric,
			format(median(row.samples)),
			format(Math.min(...row.samples)),
			format(Math.max(...row.samples)),
			String(row.samples.length),
			row.target ?? '',
		];
	});
	const widths = header.map((_, column) => Math.max(header[column]!.length, ...body.map((cells) => cells[column]!.length)));
	const line = (cells: string[]) => `| ${cells.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
	return [line(header), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...body.map(line)].join('\n');
}
