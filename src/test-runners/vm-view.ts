/**
 * A view of a `Vm` bound to the test that uses it: its execs are canceled by the test's `signal`
 * (Vitest aborts it when the test times out) and the last command is remembered for the failure
 * report. Everything else is the VM's own: the view delegates (its facts through `forwardVmFacts`, one
 * list for every VM property), as testcontainers' `AbstractStartedContainer` does.
 */
import type { ForwardPortOptions } from '../network/port-forward.js';
import type { ExecOptions } from '../options.js';
import type { ExecResult } from '../vm/exec-result.js';
import type { KernelReport } from '../kernel-log/kernel-reports.js';
import { execTap, type ExecTapOptions, type ExecTapResult } from '../vm/exec-tap.js';
import { type KernelMark, markKernelLog, TEST_KERNEL_LOG_START } from './kernel-verdicts.js';
import { type ExecOutput, type ExpectKernelReportOptions, forwardVmFacts, type Vm, type VmFacts } from '../vm/vm.js';
import type { WaitForPortOptions, WaitOptions } from '../vm/wait-until.js';

/** What the failure report needs from the last command a test ran in a VM. */
export interface LastExec {
	script: string;
	exitCode: number | undefined;
	stderr: string | Buffer;
	timedOut: boolean;
	isCanceled: boolean;
	/** Whether it was still running when the report was made (the test timed out while waiting for it). */
	running?: boolean;
	/** Why it has no result (the VM died or was closed under it). */
	failure?: string;
}

/** One test's view of the VMs it used. */
export interface TestBinding {
	/** Aborted by the test runner when the test times out or is canceled. */
	signal: AbortSignal | undefined;
	/** The VMs the test ran commands in (or asked for), with the last command each ran. */
	used: Map<Vm, LastExec | undefined>;
	/**
	 * The VMs whose kernel log this test answers for, with where its part begins (kernel-verdicts.ts): a VM it
	 * got or used, from the test's start (a VM up by then) or from when it got it.
	 */
	kernelMarks: Map<Vm, KernelMark>;
	/** The marks of the VMs that were up when the test started (the file's VM), for when it first uses one. */
	startMarks: Map<Vm, KernelMark>;
}

/** A binding for a test starting now; `upVms`: the VMs up already that it may use (the file's VM). */
export function createBinding(signal: AbortSignal | undefined, upVms: Iterable<Vm> = []): TestBinding {
	return { signal, used: new Map(), kernelMarks: new Map(), startMarks: new Map([...upVms].map((vm) => [vm, markKernelLog(vm)])) };
}

/** The test answers for `vm`'s kernel log from its start (if the VM was up then) or from now. */
export function answerForKernelLog(binding: TestBinding, vm: Vm): void {
	if (!binding.kernelMarks.has(vm)) binding.kernelMarks.set(vm, binding.startMarks.get(vm) ?? markKernelLog(vm));
}

/** The exec options with the test's signal added (combined with the call's own, if it gives one). */
function withSignal(options: ExecOptions | undefined, signal: AbortSignal | undefined): ExecOptions | undefined {
	if (!signal) return options;
	if (options === undefined) return { signal };
	// Leave anything that is not an options object to the VM, which reports it properly.
	if (typeof options !== 'object' || options === null || Array.isArray(options)) return options;
	const own = options.signal;
	return { ...options, signal: own instanceof AbortSignal ? AbortSignal.any([own, signal]) : signal };
}

function recordOf(value: unknown): LastExec | undefined {
	if (typeof value !== 'object' || value === null || !('script' in value) || !('exitCode' in value)) return undefined;
	const result = value as LastExec;
	return {
		script: result.script,
		exitCode: result.exitCode,
		stderr: result.stderr,
		timedOut: result.timedOut,
		isCanceled: result.isCanceled,
	};
}

/** The VM's facts (`qemuArgv`, `kernel`, …) are getters that read the wrapped VM's (see `forwardVmFacts`). */
export interface VmView extends VmFacts {}

export class VmView implements Vm {
	readonly #vm: Vm;
	readonly #binding: () => TestBinding | undefined;

	static {
		forwardVmFacts(VmView.prototype, (view) => view.#vm);
	}

	/**
	 * @param vm The VM the view runs commands in.
	 * @param binding The test binding in force at call time (`undefined`: no test, e.g. in `beforeAll`:
	 *   options pass through untouched and nothing is recorded).
	 */
	constructor(vm: Vm, binding: () => TestBinding | undefined) {
		this.#vm = vm;
		this.#binding = binding;
	}

	get closed(): boolean {
		return this.#vm.closed;
	}

	exec(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	exec(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	exec<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;
	exec(script: string, options?: ExecOptions): Promise<ExecResult<string | Buffer>> {
		return this.#run(script, options as ExecOptions | undefined, (bound) => this.#vm.exec(script, bound));
	}

	succeed(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	succeed(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	succeed<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;
	succeed(script: string, options?: ExecOptions): Promise<ExecResult<string | Buffer>> {
		return this.#run(script, options as ExecOptions | undefined, (bound) => this.#vm.succeed(script, bound));
	}

	fail(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
	fail(script: string, options: ExecOptions<'buffer'>): Promise<ExecResult<Buffer>>;
	fail<Encoding extends 'utf8' | 'buffer'>(script: string, options?: ExecOptions<Encoding>): Promise<ExecResult<ExecOutput<Encoding>>>;
	fail(script: string, options?: ExecOptions): Promise<ExecResult<string | Buffer>> {
		return this.#run(script, options as ExecOptions | undefined, (bound) => this.#vm.fail(script, bound));
	}

	// The wait helpers run under the test's signal too, and their last attempt is the recorded command.
	waitUntilSucceeds(script: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return this.#run(script, options as ExecOptions | undefined, (bound) =>
			this.#vm.waitUntilSucceeds(script, bound as WaitOptions),
		) as Promise<ExecResult<string>>;
	}

	waitUntilFails(script: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return this.#run(script, options as ExecOptions | undefined, (bound) =>
			this.#vm.waitUntilFails(script, bound as WaitOptions),
		) as Promise<ExecResult<string>>;
	}

	waitForFile(path: string, options?: WaitOptions): Promise<ExecResult<string>> {
		return this.#run(`waitForFile ${path}`, options as ExecOptions | undefined, (bound) =>
			this.#vm.waitForFile(path, bound as WaitOptions),
		) as Promise<ExecResult<string>>;
	}

	waitForOpenPort(port: number, options?: WaitForPortOptions): Promise<ExecResult<string>> {
		return this.#run(`waitForOpenPort ${port}`, options as ExecOptions | undefined, (bound) =>
			this.#vm.waitForOpenPort(port, bound as WaitOptions),
		) as Promise<ExecResult<string>>;
	}

	forwardPort(guestPort: number, options?: ForwardPortOptions): Promise<number> {
		return this.#vm.forwardPort(guestPort, options);
	}

	/** Through the view, so that its exec runs under the test's signal and is the test's last command. */
	execTap(script: string, options?: ExecTapOptions): Promise<ExecTapResult> {
		return execTap(this, script, options);
	}

	/** A report of this test: one logged after the test's part of the VM's log began (unless `after` says otherwise). */
	expectKernelReport(pattern?: RegExp | string, options?: ExpectKernelReportOptions): Promise<KernelReport> {
		const after = this[TEST_KERNEL_LOG_START]();
		const given = options !== undefined && (typeof options !== 'object' || options === null || 'after' in options);
		return this.#vm.expectKernelReport(pattern, after === undefined || given ? options : { ...options, after });
	}

	/** Where the bound test's part of the VM's kernel log begins, once the test answers for it. */
	[TEST_KERNEL_LOG_START](): number | undefined {
		const binding = this.#binding();
		if (!binding) return undefined;
		answerForKernelLog(binding, this.#vm);
		return binding.kernelMarks.get(this.#vm)?.seq;
	}

	close(): Promise<void> {
		return this.#vm.close();
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.#vm[Symbol.asyncDispose]();
	}

	/** Run one command under the binding's signal, recording it as running, then its outcome. */
	async #run(
		script: string,
		options: ExecOptions | undefined,
		run: (options: ExecOptions | undefined) => Promise<ExecResult<string | Buffer>>,
	): Promise<ExecResult<string | Buffer>> {
		const binding = this.#binding();
		const vm = this.#vm;
		if (binding) answerForKernelLog(binding, vm);
		const previous = binding?.used.get(vm);
		binding?.used.set(vm, { script, exitCode: undefined, stderr: '', timedOut: false, isCanceled: false, running: true });
		try {
			const result = await run(withSignal(options, binding?.signal));
			binding?.used.set(vm, recordOf(result));
			return result;
		} catch (error) {
			if (binding) {
				// A bad argument (TypeError) ran nothing; a dead or closed VM left no result but its reason.
				const lost = { script, exitCode: undefined, stderr: '', timedOut: false, isCanceled: false, failure: String(error) };
				binding.used.set(vm, recordOf(error) ?? (error instanceof TypeError ? previous : lost));
			}
			throw error;
		}
	}
}
