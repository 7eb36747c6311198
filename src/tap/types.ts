/**
 * The tree a TAP 13/14 or KTAP v1 stream parses into (pure data, no behaviour).
 */

/** A directive after `#` on a result line (`ok 3 # SKIP no huge pages`). */
export interface TapDirective {
	/** `skip`, `todo`, `xfail` and `xpass` change what the case counts as; `timeout` and `error` are failures. */
	kind: 'skip' | 'todo' | 'xfail' | 'xpass' | 'timeout' | 'error';
	/** The text after the keyword (may be empty). */
	reason: string;
}

/** What a case counts as in a summary: only `fail` is a failure. */
export type TapStatus = 'pass' | 'fail' | 'skip' | 'todo' | 'xfail';

/** One result line (`ok N name` / `not ok N name`), with what the stream said about it. */
export interface TapCase {
	/** Whether the line said `ok`. */
	ok: boolean;
	/** The case's number: as printed, or the next one in order when the line had none. */
	number: number;
	/** The description after the number (without a leading `- `), or the subtest's name when it had none. */
	name: string;
	directive: TapDirective | undefined;
	/** A `#` text after the name that is not a directive (run_kselftest.sh's `# exit=1`). */
	note: string | undefined;
	/** What the case counts as, from `ok`/`not ok` and the directive. */
	status: TapStatus;
	/**
	 * The lines between the previous result line of the same level and this one, as printed (comments
	 * keep their `#`): where KTAP and kselftest put a case's diagnostics (`# FAIL: … expected 1, got 2`).
	 */
	diagnostics: string[];
	/** A YAML block (TAP 13/14) after the result line, without its indentation and `---`/`...` lines. */
	yaml: string | undefined;
	/** The nested document of a subtest (KTAP's or TAP 14's indented lines before this result line). */
	subtest: TapDocument | undefined;
	/** The 1-based line of the result line in the stream. */
	line: number;
}

/** The plan line (`1..N`, or `1..0 # SKIP reason`). */
export interface TapPlan {
	start: number;
	end: number;
	/** A `1..0 # SKIP reason` plan: the whole document was skipped. */
	skipAll: string | undefined;
}

/** One TAP/KTAP document: the stream itself, or a subtest's indented lines. */
export interface TapDocument {
	/** From its version line: `'TAP 13'`, `'TAP 14'`, `'KTAP 1'`; undefined when it had none. */
	version: string | undefined;
	/** From a `# Subtest: name` line; undefined for the top level or an unnamed subtest. */
	name: string | undefined;
	plan: TapPlan | undefined;
	cases: TapCase[];
	/** The reason of a `Bail out!` line in this document, if one was printed. */
	bailOut: string | undefined;
	/** Lines after the last result line (`# Totals: pass:3 …`, or what a crashing program printed last). */
	trailer: string[];
	/**
	 * What is wrong with the stream as TAP, in words: no plan, a short plan ("planned 10, 3 ran"), cases
	 * out of order, a subtest without a result line, a stream that stops mid-subtest. Each makes it fail.
	 */
	problems: string[];
}

/** What the incremental parser reports while a stream arrives. */
export type TapEvent =
	| {
			type: 'case';
			case: TapCase;
			/** The names of the subtests it is nested in, outermost first ([] at the top level). */
			path: string[];
	  }
	| { type: 'bail-out'; reason: string; path: string[] }
	| { type: 'plan'; plan: TapPlan; path: string[] };
