/**
 * The VM handle every way of starting a VM returns: `startVm()` (a QEMU process of our own, see
 * qemu-vm.ts), `startVm({ launcher })` (an external launcher, see launcher/launcher-vm.ts), and the
 * test runners' fixtures (a view bound to one test, see test-runners/vm-view.ts).
 */
import type { KernelInfo } from '../boot/kernel.js';
import type { VmDisk } from '../disks/prepare.js';
import type { ForwardPortOptions } from '../network/port-forward.js';
import type { ExecOptions } from '../options.js';
import type { ExecResult } from './exec-result.js';

/** What `stdout` and `stderr` are for an `encoding`: a Buffer for `'buffer'`, else a string. */
export type ExecOutput<Encoding> = Encoding extends 'buffer' ? Buffer : string;

/**
 * A started VM: run scripts in it with `exec`, `succeed` and `fail`, then `close()` it (or let
 * `await using` do it).
 */
export interface Vm extends AsyncDisposable {
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
