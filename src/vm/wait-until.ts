/**
 * Wait helpers, as the NixOS test driver has them (`wait_until_succeeds`, `wait_for_file`,
 * `wait_for_open_port`): run a check in the guest again and again until it passes or a deadline ends.
 * They work on anything that can `exec` (a `Vm`, a `LauncherVm`, a fixture's view of one), so every VM
 * kind gets them from one implementation.
 */
import { VmWaitTimeoutError } from '../errors.js';
import type { ExecOptions } from '../options.js';
import { shellQuote } from '../protocol/exec-files.js';
import type { ExecResult } from './exec-result.js';
import { describeFailedExec, summarizeScript } from './exec-result.js';

/** Options of the wait helpers: the exec's options (per attempt), plus the whole wait's deadline and pace. */
export interface WaitOptions extends Omit<ExecOptions<'utf8'>, 'encoding' | 'timeout'> {
	/**
	 * How long to keep trying, in milliseconds, before rejecting with a `VmWaitTimeoutError`. An attempt
	 * still running at the deadline is killed.
	 * @default 30000
	 */
	timeout?: number;
	/**
	 * Pause between two attempts, in milliseconds.
	 * @default 250
	 */
	interval?: number;
}

/** Options of `waitForOpenPort`. */
export interface WaitForPortOptions extends WaitOptions {
	/** The guest-side address to connect to. @default '127.0.0.1' */
	host?: string;
}

/** What the wait helpers need from a VM. */
export interface Execer {
	exec(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
}

const DEFAULT_WAIT_TIMEOUT_MS = 30_000;
const DEFAULT_INTERVAL_MS = 250;

function numberOption(name: string, value: unknown, fallback: number): number {
	if (value === undefined) return fallback;
	if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
		throw new TypeError(`Expected the \`${name}\` option to be a number of milliseconds > 0, got \`${String(value)}\`.`);
	}
	return value;
}

/** Split the wait's own options from the ones every attempt's exec gets. Throws a TypeError for bad values. */
export function splitWaitOptions(options: WaitOptions = {}): { timeout: number; interval: number; exec: ExecOptions<'utf8'> } {
	if (typeof options !== 'object' || options === null || Array.isArray(options)) {
		throw new TypeError(`Expected the wait options to be an object, got \`${String(options)}\`.`);
	}
	const { timeout, interval, ...exec } = options as WaitOptions & { host?: unknown };
	delete (exec as { host?: unknown }).host;
	return {
		timeout: numberOption('timeout', timeout, DEFAULT_WAIT_TIMEOUT_MS),
		interval: numberOption('interval', interval, DEFAULT_INTERVAL_MS),
		exec,
	};
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal?.addEventListener('abort', done, { once: true });
	});
}

/**
 * Run `script` until its exit status is 0 (`want: 'success'`) or not 0 (`want: 'failure'`); resolves with
 * the passing attempt's result. At the deadline it rejects with a `VmWaitTimeoutError` that carries the
 * last attempt's result (its output is in the message). An aborted `signal` stops the wait the same way.
 */
export async function waitUntil(
	vm: Execer,
	script: string,
	want: 'success' | 'failure',
	options: WaitOptions = {},
	what = want === 'success' ? 'waitUntilSucceeds' : 'waitUntilFails',
): Promise<ExecResult<string>> {
	const { timeout, interval, exec } = splitWaitOptions(options);
	const started = performance.now();
	const left = () => timeout - (performance.now() - started);
	let attempts = 0;
	let last: ExecResult<string> | undefined;
	// The last attempt that ran to its end: one cut short by the deadline has no output worth showing.
	let lastFinished: ExecResult<string> | undefined;
	while (attempts === 0 || (left() > 0 && !exec.signal?.aborted)) {
		attempts++;
		// An attempt may not outlive the wait: it gets the time left (at least 1 ms: 0 would mean none).
		last = await vm.exec(script, { ...exec, timeout: Math.max(1, Math.ceil(left())) });
		const passed = !last.timedOut && !last.isCanceled && (want === 'success' ? last.exitCode === 0 : last.exitCode !== 0);
		if (passed) return last;
		if (!last.timedOut && !last.isCanceled) lastFinished = last;
		if (left() <= 0 || exec.signal?.aborted) break;
		await sleep(Math.min(interval, left()), exec.signal);
	}
	const elapsed = Math.round(performance.now() - started);
	const why = exec.signal?.aborted ? `was canceled after ${elapsed} ms` : `timed out after ${elapsed} ms`;
	const goal = want === 'success' ? 'succeed' : 'fail';
	const killed = last?.timedOut ? 'The last attempt was still running at the deadline and was killed. ' : '';
	const shown = lastFinished ?? last;
	const lastText = lastFinished ? `${killed}The last attempt that finished exited with code ${lastFinished.exitCode}.` : killed.trimEnd();
	const details = shown
		? describeFailedExec({ ...shown, timedOut: false, isCanceled: false }, 'succeed')
				.split('\n')
				.slice(1)
				.join('\n')
		: '';
	throw new VmWaitTimeoutError(
		`${what} ${why} (${attempts} attempt${attempts === 1 ? '' : 's'}), waiting for the command to ${goal} in the VM: ${summarizeScript(script)}. ${lastText}${details ? `\n${details}` : ''}`,
		shown ?? { script, stdout: '', stderr: '', exitCode: undefined, durationMs: elapsed, timedOut: true, isCanceled: false },
		{ attempts, waitedMs: elapsed },
	);
}

/** The check behind `waitForFile`: the path exists (any type). */
export function fileCheck(guestPath: string): string {
	if (typeof guestPath !== 'string' || guestPath === '')
		throw new TypeError(`Expected the path to be a non-empty string, got \`${String(guestPath)}\`.`);
	return `test -e ${shellQuote(guestPath)}`;
}

/**
 * The check behind `waitForOpenPort`: a TCP connection to host:port succeeds, made inside the guest with
 * bash's /dev/tcp (Debian and most distributions ship bash; the guest runs the host's programs), else nc.
 */
export function portCheck(port: number, host = '127.0.0.1'): string {
	if (!Number.isInteger(port) || port < 1 || port > 65_535)
		throw new TypeError(`Expected the port to be an integer from 1 to 65535, got \`${String(port)}\`.`);
	if (typeof host !== 'string' || !/^[A-Za-z0-9.:_-]+$/.test(host))
		throw new TypeError(`Expected the \`host\` option to be a host name or address, got \`${String(host)}\`.`);
	return [
		'if command -v bash >/dev/null 2>&1; then',
		`  bash -c ${shellQuote(`exec 3<>/dev/tcp/${host}/${port}`)}`,
		'else',
		`  nc -z ${shellQuote(host)} ${port}`,
		'fi',
	].join('\n');
}
