/**
 * `execTap(vm, script)`: run a script whose stdout is TAP or KTAP (a kselftest, a KUnit-style test, a
 * TAP-printing script) and resolve with the exec result plus the parsed tree and its summary. The
 * stdout is parsed while it arrives, so `onTapEvent` reports each case as it finishes; a script cut
 * at its `timeout` resolves with the cases it finished (and `timedOut: true`).
 */
import type { ExecOptions } from '../options.js';
import { TapParser } from '../tap/parser.js';
import { summarizeTap, type TapSummary } from '../tap/summary.js';
import type { TapDocument, TapEvent } from '../tap/types.js';
import type { ExecResult } from './exec-result.js';

/** Options of `execTap()`: the exec options (text output only) and a listener for the cases. */
export interface ExecTapOptions extends Omit<ExecOptions<'utf8'>, 'encoding'> {
	/** Called as each case's result line arrives (and on a plan or a `Bail out!`), with where it is nested. */
	onTapEvent?: (event: TapEvent) => void;
}

/** What `execTap()` resolves: the exec result, the TAP tree of its stdout, and that tree's summary. */
export interface ExecTapResult extends ExecResult<string> {
	tap: TapDocument;
	/**
	 * The counts and failing cases. Its `ok` is the TAP's verdict alone; the exit status and a timeout are
	 * in the exec fields (`toPassTap()` checks all three).
	 */
	summary: TapSummary;
}

/** The part of a VM `execTap()` needs, so it runs on any `Vm` (a QEMU VM, a launcher VM, a test's view). */
export interface TapExecutor {
	exec(script: string, options?: ExecOptions<'utf8'>): Promise<ExecResult<string>>;
}

/**
 * Run `script` in the VM and parse its stdout as TAP/KTAP while it runs.
 *
 * ```ts
 * const result = await execTap(vm, 'cd /opt/kselftests/timens && ./timens')
 * expect(result).toPassTap()
 * ```
 */
export async function execTap(vm: TapExecutor, script: string, options: ExecTapOptions = {}): Promise<ExecTapResult> {
	if (typeof options !== 'object' || options === null)
		throw new TypeError(`Expected the execTap() options to be an object, got ${String(options)}.`);
	const { onTapEvent, onStdout, ...execOptions } = options;
	if (onTapEvent !== undefined && typeof onTapEvent !== 'function') {
		throw new TypeError(`Expected the \`onTapEvent\` option to be a function, got ${typeof onTapEvent}.`);
	}
	const parser = new TapParser(onTapEvent);
	const result = await vm.exec(script, {
		...execOptions,
		onStdout: (chunk) => {
			parser.write(chunk);
			onStdout?.(chunk);
		},
	});
	const tap = parser.end();
	return { ...result, tap, summary: summarizeTap(tap) };
}
