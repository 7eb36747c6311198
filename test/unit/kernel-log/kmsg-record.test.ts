import { describe, expect, it } from 'vitest';
import { KmsgSequence, KmsgSplitter, parseKmsgHeader, unescapeKmsg } from '../../../src/kernel-log/kmsg-record.js';

describe('parseKmsgHeader', () => {
	it.each([
		// A WARNING's line (level 4, the kernel's facility 0), as read from the guest's /dev/kmsg.
		[
			'4,303,3915672,-;WARNING: CPU: 0 PID: 92 at x.c:45 f+0x11/0x20',
			{ seq: 303, level: 4, facility: 0, timeUs: 3915672, text: 'WARNING: CPU: 0 PID: 92 at x.c:45 f+0x11/0x20', fields: {} },
		],
		// vm-exec's marker: `<7>` written to /dev/kmsg by user space is LOG_USER (1) << 3 | 7.
		[
			'15,412,5000001,-;vm-exec: exec 3 begin',
			{ seq: 412, level: 7, facility: 1, timeUs: 5000001, text: 'vm-exec: exec 3 begin', fields: {} },
		],
		// A continued record (c) with CONFIG_PRINTK_CALLER's field.
		['6,7,100,c,caller=T1;abc', { seq: 7, level: 6, facility: 0, timeUs: 100, text: 'abc', fields: {}, caller: 'T1' }],
		// Newlines and non-printable bytes inside a record are escaped; a backslash too.
		[
			'4,8,1,-;\\x0abut task is already holding lock:\\x09\\x5c',
			{ seq: 8, level: 4, facility: 0, timeUs: 1, text: '\nbut task is already holding lock:\t\\', fields: {} },
		],
		['6,9,1,-;', { seq: 9, level: 6, facility: 0, timeUs: 1, text: '', fields: {} }],
		[' SUBSYSTEM=pci', undefined],
		['not a record', undefined],
	])('%j', (line, record) => {
		expect(parseKmsgHeader(line)).toEqual(record);
	});
});

describe('unescapeKmsg', () => {
	it('reads escaped bytes as UTF-8 (a multi-byte character is escaped byte by byte)', () => {
		expect(unescapeKmsg('caf\\xc3\\xa9 \\x1b[0m')).toBe('café \u001b[0m');
		expect(unescapeKmsg('no escapes')).toBe('no escapes');
		// Not an escape: kept as it is.
		expect(unescapeKmsg('\\xZZ')).toBe('\\xZZ');
	});
});

describe('KmsgSplitter', () => {
	const log = [
		'6,1,10,-;virtio_net virtio1 eth0: renamed',
		' SUBSYSTEM=virtio',
		' DEVICE=+virtio:virtio1',
		'4,2,20,-;------------[ cut here ]------------',
		'4,3,30,-;line with\\x0aa newline',
		'',
	].join('\n');

	it('gives whole records with their continuation lines as fields', () => {
		const splitter = new KmsgSplitter();
		const records = splitter.push(log);
		expect(records.map((record) => record.seq)).toEqual([1, 2, 3]);
		expect(records[0]!.fields).toEqual({ SUBSYSTEM: 'virtio', DEVICE: '+virtio:virtio1' });
		expect(records[2]!.text).toBe('line with\na newline');
		expect(splitter.flush()).toEqual([]);
	});

	it('gives the same records whatever the chunks (one byte at a time, cut mid-line)', () => {
		const whole = new KmsgSplitter().push(log);
		const splitter = new KmsgSplitter();
		const pieces = [...log].flatMap((char) => splitter.push(char));
		expect([...pieces, ...splitter.flush()]).toEqual(whole);
	});

	it('keeps a partial last line until it is whole, and gives it at flush', () => {
		const splitter = new KmsgSplitter();
		expect(splitter.push('6,1,10,-;hal')).toEqual([]);
		expect(splitter.push('f a record')).toEqual([]);
		expect(splitter.flush().map((record) => record.text)).toEqual(['half a record']);
	});

	it('adds continuation lines that come in a later chunk to their record', () => {
		const splitter = new KmsgSplitter();
		const [record] = splitter.push('6,1,10,-;usb 1-1: new device\n');
		splitter.push(' SUBSYSTEM=usb\n');
		expect(record!.fields).toEqual({ SUBSYSTEM: 'usb' });
	});

	it('skips and counts lines that are no record', () => {
		const splitter = new KmsgSplitter();
		expect(splitter.push('garbage\n6,1,10,-;ok\n').map((record) => record.text)).toEqual(['ok']);
		expect(splitter.skippedLines).toBe(1);
	});
});

describe('KmsgSequence', () => {
	it('drops records read again and counts a gap in seq as lost records (a wrapped ring buffer)', () => {
		const sequence = new KmsgSequence();
		const take = (seqs: number[]) => seqs.filter((seq) => sequence.accept({ seq, level: 6, facility: 0, timeUs: 0, text: '', fields: {} }));
		expect(take([0, 1, 2])).toEqual([0, 1, 2]);
		// The reader started again after the buffer wrapped: it re-reads from the oldest record left (seq 1),
		// then misses 3 to 5.
		expect(take([1, 2, 6, 7])).toEqual([6, 7]);
		expect(sequence.duplicates).toBe(2);
		expect(sequence.lost).toBe(3);
	});

	it('counts the records logged before the first one read as lost', () => {
		const sequence = new KmsgSequence();
		sequence.accept({ seq: 10, level: 6, facility: 0, timeUs: 0, text: '', fields: {} });
		expect(sequence.lost).toBe(10);
	});
});
