/**
 * What `vm.exec()` accepts and its gate, and the check of the script argument every exec-like call shares.
 */
import {
	assertOptionsObject,
	describeValue,
	envValue,
	functionValue,
	invalid,
	optionalString,
	rejectUnknown,
	signalValue,
	timeoutValue,
} from './validators.js';

/** Options of `vm.exec()`. */
export interface ExecOptions<Encoding extends 'utf8' | 'buffer' = 'utf8' | 'buffer'> {
	/** Environment variables for this exec, merged over the VM's `env`. */
	env?: Readonly<Record<string, string>>;
	/** Working directory in the guest. @default the VM's `cwd` */
	cwd?: string;
	/** Kill the command (its whole process tree) after this many milliseconds. @default 0 (no timeout) */
	timeout?: number;
	/** Fed to the script's standard input. @default no input (`/dev/null`) */
	input?: string | Uint8Array;
	/** Aborting it kills the command's process tree. */
	signal?: AbortSignal;
	/** `'buffer'` returns `stdout`/`stderr` as Buffers. @default 'utf8' */
	encoding?: Encoding;
	/** Called with each chunk of stdout while the command runs. */
	onStdout?: (chunk: Buffer) => void;
	/** Called with each chunk of stderr while the command runs. */
	onStderr?: (chunk: Buffer) => void;
	/**
	 * Run the script as this guest user (a name or a uid) instead of root: its uid, gid, supplementary
	 * groups, `HOME`, `USER` and `LOGNAME`. An unknown user rejects with a `VmUnknownUserError`.
	 * @default root
	 */
	user?: string | number;
}

/** The exec options with their defaults filled in, checked. */
export interface NormalizedExecOptions {
	env: Record<string, string>;
	cwd: string | undefined;
	timeout: number;
	input: Buffer | undefined;
	signal: AbortSignal | undefined;
	encoding: 'utf8' | 'buffer';
	onStdout: ((chunk: Buffer) => void) | undefined;
	onStderr: ((chunk: Buffer) => void) | undefined;
	/** The `user` option as a string (a name or a uid), or undefined for root. */
	user: string | undefined;
}

const EXEC_OPTION_NAMES: ReadonlySet<string> = new Set([
	'env',
	'cwd',
	'timeout',
	'input',
	'signal',
	'encoding',
	'onStdout',
	'onStderr',
	'user',
]);

function inputValue(value: unknown): Buffer | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'string' || value instanceof Uint8Array) return Buffer.from(value);
	throw invalid('input', 'a string or a Uint8Array', value);
}

export function normalizeExecOptions(options: ExecOptions = {}): NormalizedExecOptions {
	assertOptionsObject(options, 'the exec options');
	rejectUnknown(options, EXEC_OPTION_NAMES, 'exec()');
	const encoding = options.encoding ?? 'utf8';
	if (encoding !== 'utf8' && encoding !== 'buffer') throw invalid('encoding', "`'utf8'` or `'buffer'`", encoding);
	const input = inputValue(options.input);
	const cwd = optionalString('cwd', options.cwd);
	if (cwd !== undefined && !cwd.startsWith('/')) throw invalid('cwd', 'an absolute path', cwd);
	const onStdout = functionValue('onStdout', options.onStdout);
	const onStderr = functionValue('onStderr', options.onStderr);
	return {
		env: envValue('env', options.env),
		cwd,
		timeout: timeoutValue('timeout', options.timeout, 0, true),
		input,
		signal: signalValue('signal', options.signal),
		encoding,
		onStdout,
		onStderr,
		user: userValue(options.user),
	};
}

function userValue(value: unknown): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value);
	// A user name as useradd accepts it (no colon, newline or quote reaches getent).
	if (typeof value === 'string' && /^[A-Za-z0-9_.][A-Za-z0-9_.@-]*\$?$/.test(value)) return value;
	throw invalid('user', 'a guest user name (such as `nobody`) or a uid (an integer ≥ 0)', value);
}

/** Validate the script argument of `exec`/`succeed`/`fail`/`runInVm`. */
export function validateScript(script: unknown): string {
	if (typeof script !== 'string') {
		throw new TypeError(`Expected the script to be a string of shell commands, got ${describeValue(script)}.`);
	}
	if (script.includes('\0')) {
		throw new TypeError(
			'Expected the script to contain no NUL characters (shells cannot run them). Pass binary data as the `input` option, or write it with printf escapes.',
		);
	}
	return script;
}

/** Check the arguments of `vm.expectKernelReport()`. */
export function validateExpectation(
	pattern: unknown,
	options: unknown,
	defaultTimeoutMs: number,
): { kind: string | undefined; timeout: number; after: number } {
	if (pattern !== undefined && typeof pattern !== 'string' && !(pattern instanceof RegExp)) {
		throw new TypeError(`Expected the report pattern to be a RegExp or a string, got ${describeValue(pattern)}.`);
	}
	assertOptionsObject(options, 'the expectKernelReport() options');
	const { kind, timeout, after, ...rest } = options as { kind?: unknown; timeout?: unknown; after?: unknown };
	const unknownName = Object.keys(rest)[0];
	if (unknownName !== undefined)
		throw new TypeError(`Unknown expectKernelReport() option \`${unknownName}\`. Known options: kind, timeout, after.`);
	if (after !== undefined && (typeof after !== 'number' || !Number.isInteger(after) || after < -1)) {
		throw new TypeError(`Expected the \`after\` option to be a kernel log seq (an integer ≥ -1), got ${describeValue(after)}.`);
	}
	return {
		kind: optionalString('kind', kind),
		timeout: timeoutValue('timeout', timeout, defaultTimeoutMs, false),
		after: (after as number | undefined) ?? -1,
	};
}
