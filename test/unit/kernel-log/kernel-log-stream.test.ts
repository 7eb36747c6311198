/**
 * KernelLogStream on a temp file appended to as the guest's copier would (no QEMU): the records of a
 * captured WARNING between an exec's markers, a background splat between two execs, records read twice
 * after the ring buffer wrapped, the caps.
 */
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KernelLogStream } from '../../../src/kernel-log/kernel-log-stream.js';

let dir: string;
let file: string;
let stream: KernelLogStream | undefined;

beforeEach(async () => {
	dir = await mkdtemp(path.join(os.tmpdir(), 'vm-exec-kernel-log-'));
	file = path.join(dir, 'kmsg');
});
afterEach(async () => {
	await stream?.close();
	stream = undefined;
	await rm(dir, { recursive: true, force: true });
});

/** The captured WARNING's records, renumbered from `seq`. */
async function warnRecords(seq: number): Promise<string> {
	const lines = (await readFile(new URL('splats/warn.kmsg', import.meta.url), 'utf8')).split('\n').filter(Boolean);
	return lines.map((line, index) => line.replace(/^(\d+),\d+,/, `$1,${seq + index},`)).join('\n') + '\n';
}

const marker = (seq: number, text: string) => `15,${seq},${1_000_000 + seq},-;vm-exec: ${text}\n`;

/** Bounded: a test's wait for the stream to have read something. */
async function until(condition: () => boolean, ms = 2000): Promise<void> {
	const end = Date.now() + ms;
	while (!condition()) {
		if (Date.now() > end) throw new Error('the stream did not read the file in time');
		await new Promise((resolve) => setTimeout(resolve, 10));
	}
}

describe('KernelLogStream', () => {
	it('follows a file that appears late, charges records and reports to the exec that ran, and waits for its end', async () => {
		stream = new KernelLogStream({ path: file });
		expect(stream.records()).toEqual([]);
		await appendFile(file, '6,0,10,-;Linux version 6.1.0-57-amd64\n' + marker(1, 'up tainted=0') + marker(2, 'exec 1 begin'));
		await until(() => stream!.execSpan('1') !== undefined);
		expect(stream.taint).toBe(0);

		const waiting = stream.waitForExecEnd('1', { ms: 2000 });
		await appendFile(file, '6,3,20,-;vm_exec_splat: loading\n');
		await appendFile(file, (await warnRecords(4)) + marker(52, 'exec 1 end') + marker(53, 'exec 1 tainted=12800'));
		expect(await waiting).toBe(true);

		// The markers are not records a user sees.
		expect(stream.records().some((record) => record.text.startsWith('vm-exec:'))).toBe(false);
		expect(stream.records()[0]).toMatchObject({ seq: 0, execIds: [] });
		expect(stream.execRecords('1')).toHaveLength(49);
		const [report] = stream.execReports('1');
		expect(report).toMatchObject({ kind: 'WARNING', module: 'vm_exec_splat', execIds: ['1'], seq: 4 });
		expect(stream.execSpan('1')).toEqual({ id: '1', beginSeq: 2, endSeq: 52, taintBefore: 0, taintAfter: 12800 });
		expect(stream.taint).toBe(12800);
		expect(stream.losses).toEqual({ lost: 0, droppedRecords: 0, droppedReports: 0 });
	});

	it('charges a splat logged between two execs to none, and gives it to reportsSince a mark', async () => {
		stream = new KernelLogStream({ path: file });
		const mark = stream.mark();
		await appendFile(file, marker(0, 'exec a begin') + marker(1, 'exec a end'));
		await appendFile(file, await warnRecords(2));
		await until(() => stream!.reports().length === 1);
		expect(stream.reportsSince(mark)).toMatchObject([{ kind: 'WARNING', execIds: [] }]);
		expect(stream.execReports('a')).toEqual([]);
		// A report still arriving (no end line yet) is given as open, and charged to the exec running.
		await appendFile(file, marker(50, 'exec b begin') + '1,51,5,-;BUG: kernel NULL pointer dereference, address: 0000000000000000\n');
		await until(() => stream!.openReport() !== undefined);
		expect(stream.reportsSince(mark).map((report) => report.execIds)).toEqual([[], ['b']]);
		expect(stream.reportsSince(mark, { includeOpen: false })).toHaveLength(1);
		expect(stream.reportsSince(stream.mark(), { includeOpen: false })).toEqual([]);
	});

	it("drops records read again after the guest's ring buffer wrapped, and counts those lost", async () => {
		await appendFile(file, '6,0,1,-;a\n6,1,2,-;b\n6,2,3,-;c\n');
		stream = new KernelLogStream({ path: file });
		// The reader started again: from the oldest record left (1), then past a gap (3 and 4 lost).
		await appendFile(file, '6,1,2,-;b\n6,2,3,-;c\n6,5,6,-;f\n');
		await until(() => stream!.records().length === 4);
		expect(stream.records().map((record) => record.text)).toEqual(['a', 'b', 'c', 'f']);
		expect(stream.losses.lost).toBe(2);
	});

	it('keeps the newest records and reports within its caps, and counts what it dropped', async () => {
		stream = new KernelLogStream({ path: file, maxRecords: 100, maxReports: 2 });
		let text = '';
		for (let seq = 0; seq < 500; seq++) text += `6,${seq},${seq},-;line ${seq}\n`;
		for (let index = 0; index < 3; index++) text += await warnRecords(500 + index * 100);
		await appendFile(file, text);
		await stream.readNow();
		expect(stream.records().length).toBeLessThanOrEqual(100);
		expect(stream.records().at(-1)!.text).toBe('---[ end trace 0000000000000000 ]---');
		expect(stream.losses.droppedRecords).toBe(500 + 3 * 48 - stream.records().length);
		expect(stream.reports().map((report) => report.seq)).toEqual([600, 700]);
		// The three reports' 48 records each are numbered 100 apart: two gaps of 52.
		expect(stream.losses).toMatchObject({ droppedReports: 1, lost: 2 * 52 });
	});

	it('settles a wait for an exec that never ends at its bound or on abort, and at close', async () => {
		stream = new KernelLogStream({ path: file });
		const started = Date.now();
		expect(await stream.waitForExecEnd('x', { ms: 100 })).toBe(false);
		expect(Date.now() - started).toBeLessThan(1000);
		const controller = new AbortController();
		const aborted = stream.waitForExecEnd('x', { ms: 10_000, signal: controller.signal });
		controller.abort();
		expect(await aborted).toBe(false);
		const closing = stream.waitForExecEnd('x', { ms: 10_000 });
		await stream.close();
		expect(await closing).toBe(false);
	});
});
