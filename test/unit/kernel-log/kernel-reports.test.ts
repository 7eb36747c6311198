/**
 * Real splats (test/unit/kernel-log/splats/*.kmsg: the records of one report, as the guest's /dev/kmsg gave
 * them), each with what the parser must find in it. `captured on 6.1.0-57-amd64`: made by
 * test/fixtures/splat-module (its capture.ts regenerates them); `written from the kernel format`: kinds
 * Debian's 6.1 kernel cannot produce (no UBSAN, KASAN, lockdep, kmemleak) or that a test cannot safely
 * cause (a hard lockup, an RCU stall, a panic), written from the kernel's printk format strings.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KmsgSplitter, type KernelLogRecord } from '../../../src/kernel-log/kmsg-record.js';
import { findKernelReports, KernelReportFinder, parseFrame, type KernelReport } from '../../../src/kernel-log/kernel-reports.js';

type Source = 'captured on 6.1.0-57-amd64' | 'written from the kernel format';

interface Expected {
	file: string;
	source: Source;
	kind: KernelReport['kind'];
	title: RegExp;
	message?: string;
	module: string | undefined;
	rip: string | undefined;
	/** The first frames, `? ` for an unreliable one, ` [module]` when the kernel named one. */
	frames: string[];
	taint: string;
	/** Reports in the file (default 1). */
	count?: number;
}

const SPLATS: Expected[] = [
	{
		file: 'warn',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'WARNING',
		title: /^WARNING: CPU: 0 PID: 92 at \S+vm_exec_splat\.c:45 vmx_splat_warn\+0x11\/0x20 \[vm_exec_splat\]$/,
		message: 'vm_exec_splat: deliberate warning',
		module: 'vm_exec_splat',
		rip: 'vmx_splat_warn',
		frames: ['vmx_splat_write [vm_exec_splat]', 'full_proxy_write', 'vfs_write', '? ksys_dup3'],
		taint: 'OE',
	},
	{
		file: 'warn-on-load',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'WARNING',
		title: /^WARNING: CPU: 0 PID: 109 at \S+ vmx_splat_init\+0x62\/0x1000 \[vm_exec_splat\]$/,
		message: 'vm_exec_splat: deliberate warning at load',
		module: 'vm_exec_splat',
		rip: 'vmx_splat_init',
		frames: ['? 0xffffffffc0227000', 'do_one_initcall', 'do_init_module'],
		taint: 'OE',
	},
	{
		file: 'null',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'BUG',
		title: /^BUG: kernel NULL pointer dereference, address: 0000000000000000$/,
		module: 'vm_exec_splat',
		rip: 'vmx_splat_null',
		frames: ['vmx_splat_write [vm_exec_splat]', 'full_proxy_write', 'vfs_write', 'ksys_write'],
		taint: 'OE',
	},
	{
		file: 'bug',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'BUG',
		title: /^kernel BUG at \S+vm_exec_splat\.c:74!$/,
		module: 'vm_exec_splat',
		rip: 'vmx_splat_bug',
		frames: ['vmx_splat_write [vm_exec_splat]', 'full_proxy_write'],
		taint: 'OE',
	},
	{
		file: 'list',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'list corruption',
		title: /^list_add corruption\. next->prev should be prev \(ffffffffc021e410\), but was ffffffffc021e400\./,
		module: 'vm_exec_splat',
		rip: '__list_add_valid.cold',
		frames: ['vmx_splat_list [vm_exec_splat]', 'vmx_splat_write [vm_exec_splat]'],
		taint: 'OE',
	},
	{
		file: 'refcount',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'refcount_t',
		title: /^refcount_t: underflow; use-after-free\.$/,
		module: 'vm_exec_splat',
		rip: 'refcount_warn_saturate',
		frames: ['vmx_splat_refcount [vm_exec_splat]', 'vmx_splat_write [vm_exec_splat]'],
		taint: 'OE',
	},
	{
		file: 'refcount-zero',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'refcount_t',
		title: /^refcount_t: decrement hit 0; leaking memory\.$/,
		module: 'vm_exec_splat',
		rip: 'refcount_warn_saturate',
		frames: ['vmx_splat_refcount_zero [vm_exec_splat]', 'vmx_splat_write [vm_exec_splat]'],
		taint: 'OE',
	},
	{
		// schedule() with preemption off; the count the kernel then resets makes the exiting writer report again.
		file: 'atomic-sleep',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'BUG',
		title: /^BUG: scheduling while atomic: ld\.so\/92\/0x00000002$/,
		module: 'vm_exec_splat',
		rip: undefined,
		frames: ['dump_stack_lvl', '__schedule_bug.cold', '__schedule', 'schedule', 'schedule_timeout'],
		taint: 'OE',
		count: 2,
	},
	{
		file: 'softlockup',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'soft lockup',
		title: /^watchdog: BUG: soft lockup - CPU#0 stuck for \d+s! \[ld\.so:92\]$/,
		module: 'vm_exec_splat',
		rip: 'vmx_splat_softlockup',
		frames: ['vmx_splat_write [vm_exec_splat]', 'full_proxy_write'],
		taint: 'OE',
	},
	{
		file: 'hung',
		source: 'captured on 6.1.0-57-amd64',
		kind: 'hung task',
		title: /^INFO: task ld\.so:109 blocked for more than 10 seconds\.$/,
		module: 'vm_exec_splat',
		rip: undefined,
		frames: ['__schedule', 'schedule', 'schedule_timeout', '? __bpf_trace_tick_stop'],
		taint: 'OE',
	},
	{
		file: 'ubsan',
		source: 'written from the kernel format',
		kind: 'UBSAN',
		title: /^UBSAN: array-index-out-of-bounds in \S+vm_exec_splat\.c:120:9$/,
		module: 'vm_exec_splat',
		rip: undefined,
		frames: ['dump_stack_lvl', 'ubsan_epilogue', '__ubsan_handle_out_of_bounds.cold', 'vmx_splat_ubsan [vm_exec_splat]'],
		taint: 'OE',
	},
	{
		file: 'kasan',
		source: 'written from the kernel format',
		kind: 'KASAN',
		title: /^BUG: KASAN: slab-out-of-bounds in vmx_splat_kasan\+0x5e\/0x70 \[vm_exec_splat\]$/,
		module: 'vm_exec_splat',
		rip: undefined,
		frames: ['dump_stack_lvl', 'print_report', 'kasan_report', 'vmx_splat_kasan [vm_exec_splat]'],
		taint: 'OE',
	},
	{
		// kmemleak.verbose=1: each object as a report, then the count (a report of one line).
		file: 'kmemleak',
		source: 'written from the kernel format',
		kind: 'kmemleak',
		title: /^kmemleak: unreferenced object 0xffff888005b4e2a0 \(size 32\):$/,
		module: 'vm_exec_splat',
		rip: undefined,
		frames: ['kmalloc_trace', 'vmx_splat_leak [vm_exec_splat]', 'do_one_initcall'],
		taint: '',
		count: 2,
	},
	{
		file: 'lockdep',
		source: 'written from the kernel format',
		kind: 'lockdep',
		title: /^WARNING: possible circular locking dependency detected$/,
		module: 'vm_exec_splat',
		rip: undefined,
		frames: ['dump_stack_lvl', 'check_noncircular', '__lock_acquire', 'lock_acquire'],
		taint: 'OE',
	},
	{
		file: 'hardlockup',
		source: 'written from the kernel format',
		kind: 'hard lockup',
		title: /^NMI watchdog: Watchdog detected hard LOCKUP on cpu 0$/,
		module: 'vm_exec_splat',
		rip: 'vmx_splat_hardlockup',
		frames: ['vmx_splat_init [vm_exec_splat]', '? 0xffffffffc0227000', 'do_one_initcall'],
		taint: 'OE',
	},
	{
		file: 'rcu-stall',
		source: 'written from the kernel format',
		kind: 'RCU stall',
		title: /^rcu: INFO: rcu_preempt self-detected stall on CPU$/,
		module: 'vm_exec_splat',
		rip: 'vmx_splat_rcu_stall',
		frames: ['dump_stack_lvl', 'nmi_cpu_backtrace.cold'],
		taint: 'OE',
	},
	{
		// An oops, and the panic panic_on_oops makes of it: two reports.
		file: 'gpf-panic',
		source: 'written from the kernel format',
		kind: 'general protection fault',
		title: /^general protection fault, probably for non-canonical address 0xdead000000000122: 0000 \[#1\] PREEMPT SMP NOPTI$/,
		module: 'vm_exec_splat',
		rip: 'vmx_splat_gpf',
		frames: ['vmx_splat_write [vm_exec_splat]', 'full_proxy_write'],
		taint: 'OE',
		count: 2,
	},
];

function readRecords(file: string): KernelLogRecord[] {
	const splitter = new KmsgSplitter();
	const text = readFileSync(new URL(`splats/${file}.kmsg`, import.meta.url), 'utf8');
	return [...splitter.push(text), ...splitter.flush()];
}

function describeFrame(frame: KernelReport['callTrace'][number]): string {
	const where = frame.symbol ?? `0x${frame.address}`;
	return `${frame.unreliable ? '? ' : ''}${where}${frame.module ? ` [${frame.module}]` : ''}`;
}

describe('findKernelReports on real splats', () => {
	it.each(SPLATS)('$file ($source): $kind', (expected) => {
		const records = readRecords(expected.file);
		const reports = findKernelReports(records);
		expect(reports).toHaveLength(expected.count ?? 1);
		const report = reports[0]!;
		expect(report.kind).toBe(expected.kind);
		expect(report.title).toMatch(expected.title);
		expect(report.message).toBe(expected.message);
		expect(report.module).toBe(expected.module);
		expect(report.rip?.symbol).toBe(expected.rip);
		expect(report.callTrace.slice(0, expected.frames.length).map(describeFrame)).toEqual(expected.frames);
		expect(report.taint).toBe(expected.taint);
		const first = records.find((record) => record.seq === report.seq)!;
		expect(report.text.split('\n')[0]).toBe(first.text.split('\n')[0]);
		expect(report.timeUs).toBe(first.timeUs);
	});

	it('ends a report at its last line: the records around it are no part of it', () => {
		const records = readRecords('null');
		const [report] = findKernelReports(records);
		// The module's own pr_info before the oops is not in it; the registers the oops prints again after its end line are.
		expect(report!.text.split('\n')[0]).toBe('BUG: kernel NULL pointer dereference, address: 0000000000000000');
		expect(report!.text.split('\n').at(-1)).toMatch(/^CR2: 0000000000000000/);
		expect(report!.lastSeq).toBe(records.at(-1)!.seq);
	});

	it("splits the two reports of the panic after an oops, and of scheduling while atomic and the writer's exit", () => {
		const [oops, panic] = findKernelReports(readRecords('gpf-panic'));
		expect(panic).toMatchObject({ kind: 'Kernel panic', title: 'Kernel panic - not syncing: Fatal exception', callTrace: [] });
		expect(panic!.seq).toBe(oops!.lastSeq + 1);
		const [, exit] = findKernelReports(readRecords('atomic-sleep'));
		expect(exit).toMatchObject({ kind: 'BUG', title: 'BUG: scheduling while atomic: ld.so/92/0x00000000', taint: 'WOE' });
		expect(exit!.module).toBeUndefined();
		expect(exit!.callTrace.map((frame) => frame.symbol)).toContain('do_exit');
	});

	it('finds nothing in a pr_info line', () => {
		expect(findKernelReports(readRecords('info'))).toEqual([]);
	});
});

describe('KernelReportFinder (records as they arrive)', () => {
	it('gives a WARNING at its end line, a soft lockup at the next record that is not part of it, the rest at flush', () => {
		const finder = new KernelReportFinder();
		const warn = readRecords('warn');
		const given = warn.flatMap((record) => finder.push(record));
		expect(given).toHaveLength(1);
		expect(given[0]!.lastSeq).toBe(warn.at(-1)!.seq);

		const lockup = readRecords('softlockup');
		expect(lockup.flatMap((record) => finder.push(record))).toEqual([]);
		expect(finder.peek()?.kind).toBe('soft lockup');
		// vm-exec's exec end marker (user space, facility 1) does not cut it; the next kernel record that is no part of it does.
		const marker: KernelLogRecord = { seq: 999, level: 7, facility: 1, timeUs: 1, text: 'vm-exec: exec 3 end', fields: {} };
		expect(finder.push(marker)).toEqual([]);
		const info: KernelLogRecord = { seq: 1000, level: 6, facility: 0, timeUs: 2, text: 'vm_exec_splat: hello from the module', fields: {} };
		expect(finder.push(info).map((report) => report.kind)).toEqual(['soft lockup']);

		for (const record of readRecords('hung')) expect(finder.push(record)).toEqual([]);
		expect(finder.flush().map((report) => report.kind)).toEqual(['hung task']);
		expect(finder.flush()).toEqual([]);
	});

	it('never opens a report on a line user space wrote to /dev/kmsg', () => {
		const fake: KernelLogRecord = {
			seq: 1,
			level: 4,
			facility: 1,
			timeUs: 1,
			text: 'WARNING: CPU: 0 PID: 1 at x.c:1 f+0x1/0x2',
			fields: {},
		};
		expect(findKernelReports([fake])).toEqual([]);
	});

	it('names raw addresses with the resolver it is given', () => {
		const resolve = (address: bigint) =>
			address === 0xffffffffc0227000n ? { symbol: 'vmx_splat_init', offset: 0, size: 0x80, module: 'vm_exec_splat' } : undefined;
		const [report] = findKernelReports(readRecords('warn-on-load'), { resolve });
		expect(report!.callTrace[0]).toEqual({
			unreliable: true,
			address: 'ffffffffc0227000',
			symbol: 'vmx_splat_init',
			offset: 0,
			size: 0x80,
			module: 'vm_exec_splat',
		});
	});
});

describe('parseFrame', () => {
	it.each([
		[' vfs_write+0xc4/0x3f0', { unreliable: false, symbol: 'vfs_write', offset: 0xc4, size: 0x3f0 }],
		[' ? do_fcntl+0x443/0x6e0', { unreliable: true, symbol: 'do_fcntl', offset: 0x443, size: 0x6e0 }],
		[
			' vmx_splat_write+0x16/0x30 [vm_exec_splat]',
			{ unreliable: false, symbol: 'vmx_splat_write', offset: 0x16, size: 0x30, module: 'vm_exec_splat' },
		],
		[
			'    [<ffffffff812e3a55>] kmalloc_trace+0x25/0x90',
			{ unreliable: false, address: 'ffffffff812e3a55', symbol: 'kmalloc_trace', offset: 0x25, size: 0x90 },
		],
		[' ? 0xffffffffc0227000', { unreliable: true, address: 'ffffffffc0227000' }],
		['Call Trace:', undefined],
		[' </TASK>', undefined],
	])('%j', (text, frame) => {
		expect(parseFrame(text)).toEqual(frame);
	});
});
