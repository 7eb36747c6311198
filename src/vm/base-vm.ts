/**
 * What every VM that runs scripts itself shares (the QEMU VM and the launcher VM): its facts (the
 * `VmFacts` object a subclass passes in, read through getters), the argument checks, the exec/succeed/fail
 * overloads, what succeed and fail expect, closing once, and the error for a closed VM. A subclass says how
 * one exec runs (`runExec`) and how the VM stops (`shutDown`).
 */
import { tailOf, VmClosedError } from '../errors.js';
import type { ForwardPortOptions } from '../network/port-forward.js';
import { type ExecOptions, type NormalizedExecOptions, normalizeExecOptions, validateScript } from '../options.js';
import { type ExecResult, expectOutcome } from './exec-result.js';
import type { KernelReport } from '../kernel-log/kernel-reports.js';
import { expectKernelReport } from './expect-kernel-report.js';
import { execTap, type ExecTapOptions, type ExecTapResult } from './exec-tap.js';
import { type ExecOutput, type ExpectKernelReportOptions, forwardVmFacts, type Vm, type VmFacts } from './vm.js';
import { fileCheck, portCheck, waitUntil, type WaitForPortOptions, type WaitOptions } from './wait-until.js';

/** The facts (`qemuArgv`, `kernel`, …) are getters over the object the subclass passed in (see `forwardVmFacts`). */
export interface BaseVm extends VmFacts {}

export abstract class BaseVm implements Vm {
	readonly #facts: VmFacts;
	#closing: Promise<void> | undefined;

	static {
		forwardVmFacts(BaseVm.prototype, (vm) => vm.#facts);
	}

	/** `facts`: the VM's facts; getters where they change (`consoleLog`) or refuse (a launcher VM's `kernel`). */
	protected constructor(facts: VmFacts) {
		this.#facts = facts;
	}

	/** Whether the VM was closed or has died. */
	get closed(): boolean {
		return this.#closing !== undefined || this.deathError() !== undefined;
	}

	exec(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	exec(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	exec<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;
	async exec(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		validateScript(script);
		const normalized = normalizeExecOptions(options);
		this.assertUsable();
		if (normalized.signal?.aborted) {
			// Canceled before it ran: no exit status, no output.
			const empty = normalized.encoding === 'buffer' ? Buffer.alloc(0) : '';
			return { script, stdout: empty, stderr: empty, exitCode: undefined, durationMs: 0, timedOut: false, isCanceled: true };
		}
		return this.runExec(script, normalized);
	}

	succeed(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	succeed(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	succeed<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;
	async succeed(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		return expectOutcome(await this.exec(script, options), 'succeed', this.#errorDetails());
	}

	fail(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	fail(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	fail<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;
	async fail(script: string, options: ExecOptions = {}): Promise<ExecResult<string | Buffer>> {
		return expectOutcome(await this.exec(script, options), 'fail', this.#errorDetails());
	}

	async waitUntilSucceeds(script: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return waitUntil(this, script, 'success', options);
	}

	async waitUntilFails(script: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return waitUntil(this, script, 'failure', options);
	}

	async waitForFile(path: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return waitUntil(this, fileCheck(path), 'success', options, 'waitForFile');
	}

	async waitForOpenPort(port: number, options: WaitForPortOptions = {}): Promise<ExecResult<string>> {
		return waitUntil(this, portCheck(port, options.host), 'success', options, 'waitForOpenPort');
	}

	execTap(script: string, options?: ExecTapOptions): Promise<ExecTapResult> {
		return execTap(this, script, options);
	}

	async expectKernelReport(pattern?: RegExp | string, options: ExpectKernelReportOptions = {}): Promise<KernelReport> {
		return expectKernelReport(this.kernelLog, pattern, options, this.qemuArgv);
	}

	abstract forwardPort(guestPort: number, options?: ForwardPortOptions): Promise<number>;

	/** Stop the VM and remove every temp dir and socket it made. Idempotent. */
	close(): Promise<void> {
		this.#closing ??= this.shutDown();
		return this.#closing;
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.close();
	}

	/** Run one exec whose arguments are checked, on a VM that was usable when it was asked for. */
	protected abstract runExec(script: string, options: NormalizedExecOptions): Promise<ExecResult<string | Buffer>>;

	/** Stop the VM and release what it holds; called once, by the first `close()`. */
	protected abstract shutDown(): Promise<void>;

	/** Why the VM died on its own, if it did (e.g. a `VmCrashedError`); every later exec rejects with it. */
	protected deathError(): Error | undefined {
		return undefined;
	}

	/** Whether `close()` was called. */
	protected get isClosing(): boolean {
		return this.#closing !== undefined;
	}

	/** Throw the reason this VM can run nothing more, if there is one. */
	protected assertUsable(): void {
		const death = this.deathError();
		if (death) throw death;
		if (this.#closing) {
			throw new VmClosedError('This VM was closed: start a new one with startVm() (or do not call close() before the last exec).', {
				qemuArgv: this.qemuArgv,
			});
		}
	}

	#errorDetails(): { consoleLog: string; qemuArgv: readonly string[] } {
		return { consoleLog: tailOf(this.consoleLog), qemuArgv: this.qemuArgv };
	}
}
