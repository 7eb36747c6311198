/**
 * Run one selftest in a VM and judge it as `run_kselftest.sh` does (the same for Vitest and Jest):
 * the program itself in its collection's directory with stderr into stdout (the default), or through
 * the install's `run_kselftest.sh -t collection:test`. A selftest that outlives its timeout is killed
 * then, and its report shows the cases it had finished.
 */
import { describeProgress, describeTapSummary } from '../tap/describe.js';
import { KselftestRunParser } from '../tap/kselftest-output.js';
import { judgeKselftest, type KselftestVerdict } from '../tap/kselftest-verdict.js';
import type { TapEvent } from '../tap/types.js';
import type { ExecResult } from '../vm/exec-result.js';
import { execTap, type TapExecutor } from '../vm/exec-tap.js';
import type { KselftestTest } from './kselftest-install.js';

/** How to run a selftest, and what to report while it runs. */
export interface RunKselftestOptions {
	/**
	 * `'program'`: run the selftest's program in its directory as run_kselftest.sh's runner does (its
	 * `KSELFTEST_<NAME>_ARGS`, `2>&1`), with the timeout kept by the host. `'run_kselftest'`: run
	 * `run_kselftest.sh -t collection:test` itself (its own timeout, its `# `-prefixed output).
	 * @default 'program'
	 */
	via?: 'program' | 'run_kselftest';
	/** The timeout in milliseconds, instead of the collection's `settings` timeout (0: none). */
	timeout?: number;
	/** Environment variables for the selftest (e.g. `KSELFTEST_RTCTEST_ARGS`). */
	env?: Readonly<Record<string, string>>;
	/** Called with a line per case as it finishes (`timens:timerfd ✓ 2 clockid=1`). */
	onProgress?: (line: string) => void;
	/** Aborting it kills the selftest. */
	signal?: AbortSignal;
}

/** What one selftest did. */
export interface KselftestOutcome extends KselftestVerdict {
	test: KselftestTest;
	/** The selftest's own output (stdout and stderr interleaved, without run_kselftest.sh's prefix). */
	output: string;
	/** The exec that ran it. */
	exec: ExecResult<string>;
	/** A `KselftestError` describing a failure or timeout, to throw; undefined when it passed or was skipped. */
	failure: KselftestError | undefined;
}

/** A selftest failed or timed out; the message starts with its failing cases, then its own output. */
export class KselftestError extends Error {
	override name = 'KselftestError';
	/** `collection:test`. */
	id: string;
	status: 'fail' | 'timeout';
	/** The selftest's own output. */
	output: string;
	verdict: KselftestVerdict;

	constructor(message: string, details: { id: string; status: 'fail' | 'timeout'; output: string; verdict: KselftestVerdict }) {
		super(message);
		this.id = details.id;
		this.status = details.status;
		this.output = details.output;
		this.verdict = details.verdict;
	}
}

/** Quote for the guest's shell. */
function quote(text: string): string {
	return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** runner.sh's name of the per-test arguments variable: `KSELFTEST_<NAME, upper-cased, non-alphanumerics as _>_ARGS`. */
export function kselftestArgsVariable(name: string): string {
	return `KSELFTEST_${name
		.replace(/[\s\p{Cc}]/gu, '')
		.replace(/[^A-Za-z0-9_]/g, '_')
		.toUpperCase()}_ARGS`;
}

/** The guest script that runs one selftest (pure). */
export function buildKselftestScript(test: KselftestTest, via: 'program' | 'run_kselftest'): string {
	if (via === 'run_kselftest') {
		// runner.sh writes each test's output to /dev/stdout, which the guest may lack; and it reopens it
		// for appending, which would overwrite a file: a pipe takes both.
		return [
			'[ -e /dev/stdout ] || ln -s /proc/self/fd/1 /dev/stdout',
			`cd ${quote(test.installDir)} && ./run_kselftest.sh -t ${quote(test.id)} 2>&1 | cat`,
		].join('\n');
	}
	const args = `$${kselftestArgsVariable(test.name)}`;
	// As runner.sh's run_one: a program that is not executable runs with its #! interpreter.
	return [
		`cd ${quote(`${test.installDir}/${test.collection}`)} || exit 1`,
		`if [ -x ${quote(`./${test.name}`)} ]; then exec ${quote(`./${test.name}`)} ${args} 2>&1; fi`,
		`interpreter=$(head -n 1 ${quote(`./${test.name}`)} | sed -n 's/^#!//p')`,
		`[ -n "$interpreter" ] || { echo "kselftest: ${test.name} is neither executable nor a #! script" >&2; exit 1; }`,
		`exec $interpreter ${quote(`./${test.name}`)} ${args} 2>&1`,
	].join('\n');
}

/** The failure message: headline, failing cases, then the tail of the selftest's own output. */
export function describeKselftestFailure(test: KselftestTest, verdict: KselftestVerdict, output: string): string {
	const counts = verdict.summary.failed > 0 ? `, ${verdict.summary.failed} of ${verdict.summary.total} cases failed` : '';
	const lines = [`kselftest ${test.id} ${verdict.status === 'timeout' ? 'timed out' : 'failed'}: ${verdict.reason}${counts}`, ''];
	// A selftest that prints no TAP at all (many shell ones): its output alone says what happened.
	const printedTap = verdict.tap.plan !== undefined || verdict.tap.cases.length > 0;
	if (printedTap) lines.push(describeTapSummary(verdict.summary), '');
	const shown = output.length > 8000 ? `…\n${output.slice(-8000)}` : output;
	lines.push(`output of ${test.id}:`, shown.trimEnd() === '' ? '  (none)' : shown.trimEnd().replace(/^/gm, '  '));
	return lines.join('\n');
}

function timeoutOf(test: KselftestTest, options: RunKselftestOptions): number {
	if (options.timeout !== undefined) return options.timeout;
	if (test.timeoutSeconds === 0) return 0;
	// run_kselftest.sh keeps its own timeout: the host's is a backstop a little later.
	return (test.timeoutSeconds + (options.via === 'run_kselftest' ? 15 : 0)) * 1000;
}

/** Run one selftest in `vm` and judge it. Resolves for every outcome; `failure` is the error to throw. */
export async function runKselftest(vm: TapExecutor, test: KselftestTest, options: RunKselftestOptions = {}): Promise<KselftestOutcome> {
	const via = options.via ?? 'program';
	if (via !== 'program' && via !== 'run_kselftest')
		throw new TypeError(`Expected the \`via\` option to be 'program' or 'run_kselftest', got ${String(via)}.`);
	const timeout = timeoutOf(test, options);
	const progress = options.onProgress;
	const report = (event: TapEvent) => {
		if (progress && event.type === 'case') progress(`${test.id} ${describeProgress(event.case, event.path)}`);
	};
	// Through run_kselftest.sh, the selftest's own TAP is nested in the runner's: read it as it comes too.
	const runner = via === 'run_kselftest' ? new KselftestRunParser(undefined, report) : undefined;
	const exec = await execTap(vm, buildKselftestScript(test, via), {
		timeout,
		...(options.env ? { env: options.env } : {}),
		...(options.signal ? { signal: options.signal } : {}),
		...(runner ? { onStdout: (chunk: Buffer) => runner.write(chunk) } : { onTapEvent: report }),
	});
	let verdict: KselftestVerdict;
	let output = exec.stdout;
	const timeoutSeconds = timeout / 1000;
	if (via === 'run_kselftest') {
		const result = runner!.end().find((entry) => entry.collection === test.collection && entry.test === test.name);
		output = result?.output ?? exec.stdout;
		const exitCode = result === undefined ? exec.exitCode || 1 : result.status === 'pass' ? 0 : result.status === 'skip' ? 4 : 1;
		verdict = judgeKselftest({
			exitCode,
			timedOut: exec.timedOut || result?.status === 'timeout',
			output,
			timeoutSeconds: test.timeoutSeconds,
		});
		if (result?.note && verdict.status === 'fail') verdict.reason = `run_kselftest.sh: ${result.note}`;
	} else {
		verdict = judgeKselftest({ exitCode: exec.exitCode, timedOut: exec.timedOut, output, timeoutSeconds });
	}
	if (exec.isCanceled) verdict = { ...verdict, status: 'fail', reason: 'canceled (its signal was aborted)' };
	const failure =
		verdict.status === 'fail' || verdict.status === 'timeout'
			? new KselftestError(describeKselftestFailure(test, verdict, output), { id: test.id, status: verdict.status, output, verdict })
			: undefined;
	return { ...verdict, test, output, exec, failure };
}
