/**
 * The guest kernel's log records in the format `/dev/kmsg` gives them (Documentation/ABI/testing/dev-kmsg):
 *
 *     PRIO,SEQ,USEC,FLAGS[,more];TEXT
 *      KEY=VALUE
 *
 * one record per read, a header line then zero or more continuation lines that start with a space (the
 * record's dictionary: ` SUBSYSTEM=pci`, ` DEVICE=+pci:0000:00:01.0`). PRIO is facility << 3 | level; SEQ
 * numbers every record from boot (a gap means records the ring buffer lost); USEC is the kernel's clock;
 * FLAGS is `-`, or `c` for a record continued by the next. In TEXT and VALUE, non-printable bytes, `\` and
 * newlines are escaped as `\xNN`. Pure: no I/O.
 */

/** One record of the kernel log. */
export interface KernelLogRecord {
	/** The kernel's sequence number of the record (from 0 at boot). */
	seq: number;
	/** The log level, 0 (`KERN_EMERG`) to 7 (`KERN_DEBUG`): PRIO & 7. */
	level: number;
	/** The syslog facility: 0 for the kernel's own records, 1 (`LOG_USER`) for lines written to /dev/kmsg. */
	facility: number;
	/** The kernel's monotonic clock when the record was logged, in microseconds since boot. */
	timeUs: number;
	/** The text, unescaped (may hold newlines a caller printed in one record). */
	text: string;
	/** The record's dictionary (`SUBSYSTEM`, `DEVICE`, …), unescaped; empty for most records. */
	fields: Record<string, string>;
	/** The header's fields after FLAGS (`caller=T123`, with CONFIG_PRINTK_CALLER), when there are any. */
	caller?: string;
}

/** The syslog facility of the kernel's own records. */
export const KERNEL_FACILITY = 0;

const HEADER = /^(\d+),(\d+),(\d+),([^,;]*)((?:,[^;]*)?);(.*)$/;

/** `\xNN` escapes back to bytes, the bytes read as UTF-8 (a multi-byte character is escaped byte by byte). */
export function unescapeKmsg(text: string): string {
	if (!text.includes('\\x')) return text;
	const bytes: number[] = [];
	for (let i = 0; i < text.length; i++) {
		const hex = text[i] === '\\' && text[i + 1] === 'x' ? text.slice(i + 2, i + 4) : '';
		if (/^[0-9a-fA-F]{2}$/.test(hex)) {
			bytes.push(Number.parseInt(hex, 16));
			i += 3;
		} else {
			bytes.push(...Buffer.from(text[i]!, 'utf8'));
		}
	}
	return Buffer.from(bytes).toString('utf8');
}

/** One header line (`PRIO,SEQ,USEC,FLAGS;TEXT`) as a record, or undefined when it is not one. */
export function parseKmsgHeader(line: string): KernelLogRecord | undefined {
	const match = HEADER.exec(line);
	if (!match) return undefined;
	const prio = Number(match[1]);
	const record: KernelLogRecord = {
		seq: Number(match[2]),
		level: prio & 7,
		facility: prio >> 3,
		timeUs: Number(match[3]),
		text: unescapeKmsg(match[6]!),
		fields: {},
	};
	const caller = /,caller=([^,]*)/.exec(match[5]!);
	if (caller) record.caller = caller[1];
	return record;
}

/** Adds one continuation line (` KEY=VALUE`) to its record's fields. */
function addField(record: KernelLogRecord, line: string): void {
	const eq = line.indexOf('=');
	if (eq < 0) return;
	record.fields[line.slice(1, eq)] = unescapeKmsg(line.slice(eq + 1));
}

/**
 * Cuts a byte stream of `/dev/kmsg` records (as copied into a file or a pipe, in chunks that may end
 * anywhere) into records. A record is given out when its next record begins or when a chunk ends on a
 * line end: `/dev/kmsg` gives a whole record per read, so a chunk that ends on a line end ends a record
 * (continuation lines that still come in a later chunk are added to that record's `fields`). A partial
 * last line is kept for the next chunk. Lines that are not records (garbage) are skipped and counted.
 */
export class KmsgSplitter {
	#tail = '';
	#pending: KernelLogRecord | undefined;
	#last: KernelLogRecord | undefined;
	/** Lines that were neither a record's header nor its continuation. */
	skippedLines = 0;

	/** Feeds a chunk; returns the records it completed, in order. */
	push(chunk: string): KernelLogRecord[] {
		const out: KernelLogRecord[] = [];
		const lines = (this.#tail + chunk).split('\n');
		this.#tail = lines.pop()!;
		for (const line of lines) {
			if (line.startsWith(' ')) {
				const owner = this.#pending ?? this.#last;
				if (owner) addField(owner, line);
				else this.skippedLines++;
				continue;
			}
			if (line === '') continue;
			const record = parseKmsgHeader(line);
			if (!record) {
				this.skippedLines++;
				continue;
			}
			if (this.#pending) out.push(this.#pending);
			this.#pending = record;
		}
		if (this.#tail === '' && this.#pending) out.push(this.#complete());
		return out;
	}

	/** The record still held (its continuation lines might have been coming), and a whole partial last line. */
	flush(): KernelLogRecord[] {
		const out = this.#tail === '' ? [] : this.push('\n');
		if (this.#pending) out.push(this.#complete());
		return out;
	}

	#complete(): KernelLogRecord {
		const record = this.#pending!;
		this.#last = record;
		this.#pending = undefined;
		return record;
	}
}

/**
 * Drops records seen before (a reader of /dev/kmsg that starts again re-reads the ring buffer from its
 * oldest record) and counts those lost (a gap in seq: the ring buffer wrapped before they were read).
 */
export class KmsgSequence {
	#next = 0;
	/** Records never seen: the sum of the gaps in seq (records before the first one read included: they were logged). */
	lost = 0;
	/** Records dropped as seen before. */
	duplicates = 0;

	/** The seq the next new record has (one past the newest accepted). */
	get next(): number {
		return this.#next;
	}

	/** Whether the record is new; a new record past a gap adds the gap to `lost`. */
	accept(record: KernelLogRecord): boolean {
		if (record.seq < this.#next) {
			this.duplicates++;
			return false;
		}
		if (record.seq > this.#next) this.lost += record.seq - this.#next;
		this.#next = record.seq + 1;
		return true;
	}
}
