/**
 * The VM handle every way of starting a VM returns: `startVm()` (a QEMU process of our own, see
 * qemu-vm.ts), `startVm({ launcher })` (an external launcher, see launcher/launcher-vm.ts), and the
 * test runners' fixtures (a view bound to one test, see test-runners/vm-view.ts).
 */
import type { KernelReport, KernelReportKind } from '../kernel-log/kernel-reports.js';
import type { KernelLog } from '../kernel-log/kernel-verdict.js';
import type { KernelInfo } from '../kernel/kernel.js';
import type { VmDisk } from '../disks/prepare.js';
import type { ForwardPortOptions } from '../network/port-forward.js';
import type { ExecOptions } from '../options.js';
import type { ExecResult } from './exec-result.js';
import type { ExecTapOptions, ExecTapResult } from './exec-tap.js';
import type { WaitForPortOptions, WaitOptions } from './wait-until.js';

/** How to attach a debugger to the guest kernel (the `gdb` option). */
export interface GdbInfo {
	/** The unix socket QEMU's gdb stub listens on. */
	socket: string;
	/** The gdb command that connects: `target remote <socket>`. */
	target: string;
	/** A whole command line to start gdb attached (add the kernel's debug vmlinux as its last argument for symbols). */
	command: string;
}

/** Options of `vm.expectKernelReport()`. */
export interface ExpectKernelReportOptions {
	/** Only a report of this kind (`'WARNING'`, `'BUG'`, `'Oops'`, `'soft lockup'`, …; case-insensitive). */
	kind?: KernelReportKind | Lowercase<KernelReportKind>;
	/** How long to wait for it, in ms. @default 5000 */
	timeout?: number;
	/**
	 * Only a report logged after this point: a `vm.kernelLog.lastSeq` read before. A test fixture's VM passes
	 * where the test's part of the log begins. @default -1 (any report)
	 */
	after?: number;
}

/** What `stdout` and `stderr` are for an `encoding`: a Buffer for `'buffer'`, else a string. */
export type ExecOutput<Encoding> = Encoding extends 'buffer' ? Buffer : string;

/**
 * What a started VM is, as read-only properties: declared once here; every VM gives them (qemu-vm.ts,
 * launcher/launcher-vm.ts: the object passed to `BaseVm`) and every view forwards them (`forwardVmFacts`).
 * Adding one is an edit here and in `VM_FACT_NAMES`, plus its value in each VM; the compiler checks the rest.
 */
export interface VmFacts {
	/** The QEMU command line (binary first), as passed to the process; for a launcher VM, the launcher's command line. */
	readonly qemuArgv: readonly string[];
	/**
	 * The accelerator in use: `'kvm'` or `'tcg'` (software emulation). A launcher VM throws a `VmError`:
	 * its launcher chooses the accelerator and does not say which.
	 */
	readonly accel: 'kvm' | 'tcg';
	/** The host directory mounted at `/tmp/shared` in the guest, if any. */
	readonly sharedDir: string | undefined;
	/** The kernel the guest runs. A launcher VM throws a `VmError`: its launcher chooses the kernel. */
	readonly kernel: Readonly<KernelInfo>;
	/** QEMU's process id (`undefined` for a launcher VM, whose every exec is a process of its own). */
	readonly pid: number | undefined;
	/** `'snapshot'` when the VM started from a saved snapshot of its configuration, `'cold'` when it booted. */
	readonly bootedFrom: 'snapshot' | 'cold';
	/** The VM's IPv4 address on its `lan` (e.g. `'10.0.3.1'`), if it is on one. */
	readonly lanAddress: string | undefined;
	/**
	 * The `disks` option's images, in order: host path, format, and the guest device each became (`/dev/vda`, …,
	 * and `/dev/disk/by-id/virtio-<serial>`). Empty for a launcher VM.
	 */
	readonly disks: readonly Readonly<VmDisk>[];
	/** Everything the guest printed on its console so far (boot messages, kernel warnings, panics). */
	readonly consoleLog: string;
	/** How to attach gdb to the guest kernel, with the `gdb` option; else undefined. */
	readonly gdb: GdbInfo | undefined;
	/**
	 * The guest kernel's log as records (every level, whatever the console shows) and the reports found in it
	 * (`WARNING:`, `BUG:`, an oops, a lockup, …), delivered while the VM runs. Empty for a launcher VM. See
	 * docs/kernel-reports.md.
	 */
	readonly kernelLog: KernelLog;
}

/** Every property of `VmFacts`, for the code that forwards them (the compiler checks the list is whole). */
export const VM_FACT_NAMES = [
	'qemuArgv',
	'accel',
	'sharedDir',
	'kernel',
	'pid',
	'bootedFrom',
	'lanAddress',
	'disks',
	'consoleLog',
	'gdb',
	'kernelLog',
] as const satisfies readonly (keyof VmFacts)[];

/** `true` only while `VM_FACT_NAMES` names every fact: a fact added to `VmFacts` alone fails to compile here. */
const everyFactNamed: Exclude<keyof VmFacts, (typeof VM_FACT_NAMES)[number]> extends never ? true : never = true;
void everyFactNamed;

/**
 * Define on `prototype` a getter for each fact that reads it from the object `source` gives for an
 * instance: the one place a fact is forwarded (the VM base class reads its own facts object, a test's
 * view reads the VM it wraps). Pair it with `interface X extends VmFacts {}` for the types.
 */
export function forwardVmFacts<T extends object>(prototype: T, source: (self: T) => VmFacts): void {
	for (const name of VM_FACT_NAMES) {
		Object.defineProperty(prototype, name, {
			configurable: true,
			enumerable: false,
			get(this: T) {
				return source(this)[name];
			},
		});
	}
}

/**
 * A started VM: run scripts in it with `exec`, `succeed` and `fail`, then `close()` it (or let
 * `await using` do it).
 */
export interface Vm extends VmFacts, AsyncDisposable {
	/** Whether the VM was closed or has died. */
	readonly closed: boolean;

	/**
	 * Run a shell script in the guest as root (`/bin/sh`, or its `#!` interpreter). Resolves with its
	 * exit status and output whatever the status; rejects only when the VM itself fails (`VmCrashedError`,
	 * `VmClosedError`) or an argument is wrong (`TypeError`).
	 */
	exec(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	exec(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	exec<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;

	/**
	 * Like `exec`, but rejects with a `VmExecError` unless the exit status is 0: a `VmTimeoutError` when the
	 * command timed out or its `signal` was aborted.
	 */
	succeed(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	succeed(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	succeed<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;

	/**
	 * Like `exec`, but rejects with a `VmExecError` if the exit status is 0, and with a `VmTimeoutError`
	 * when the command timed out or its `signal` was aborted.
	 */
	fail(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	fail(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	fail<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;

	/**
	 * Run `script` in the guest again and again (every `interval` ms) until it exits with 0, and resolve with
	 * that result; reject with a `VmWaitTimeoutError` showing the last attempt's output after `timeout` ms
	 * (default 30 s). Takes the exec options too (`env`, `cwd`, `user`, `signal`, …).
	 */
	waitUntilSucceeds(script: string, options?: WaitOptions): Promise<ExecResult<string>>;
	/** Like `waitUntilSucceeds`, but until the script exits with a status other than 0. */
	waitUntilFails(script: string, options?: WaitOptions): Promise<ExecResult<string>>;
	/** Wait until `path` exists in the guest (`test -e`). */
	waitForFile(path: string, options?: WaitOptions): Promise<ExecResult<string>>;
	/** Wait until a TCP connection to `port` succeeds from inside the guest (to `host`, default 127.0.0.1). */
	waitForOpenPort(port: number, options?: WaitForPortOptions): Promise<ExecResult<string>>;

	/**
	 * Run a script that prints TAP or KTAP (a kselftest, a KTAP-printing module, your own TAP script) and
	 * resolve with its result and the parsed TAP (`tap`: the tree, `summary`: counts and the failing cases),
	 * whatever the exit status; `onTapEvent` streams the cases as they finish. See docs/guest-test-results.md.
	 */
	execTap(script: string, options?: ExecTapOptions): Promise<ExecTapResult>;

	/**
	 * Wait (up to `timeout` ms, default 5000) until the guest kernel has logged a report that matches — `pattern`
	 * in its title, message or text, of `kind` (`'WARNING'`, `'BUG'`, …) when given — and that nothing expected
	 * yet; resolve with it and acknowledge it, so that the test fixtures fail nothing for it (nor for the taint
	 * it sets). Rejects with a `VmError` listing the reports logged when none matches in time. For a test that
	 * triggers a splat on purpose: `await vm.expectKernelReport(/deliberate warning/, { kind: 'WARNING' })`.
	 */
	expectKernelReport(pattern?: RegExp | string, options?: ExpectKernelReportOptions): Promise<KernelReport>;

	/**
	 * Forward a free TCP (or UDP) port on the host's 127.0.0.1 to `guestPort` in the guest; resolves with
	 * the host port. Works at any time after boot; needs `network: true` (a launcher VM has no ports to
	 * forward). The port is released on close.
	 */
	forwardPort(guestPort: number, options?: ForwardPortOptions): Promise<number>;

	/**
	 * Stop the VM and remove every temp dir and socket it made. Idempotent; pending execs reject with a
	 * `VmClosedError`.
	 */
	close(): Promise<void>;
}
