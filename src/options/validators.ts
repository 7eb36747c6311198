/**
 * The small validators every options group shares, and the one error format:
 * ``TypeError: Expected the `x` option to be …, got `y`.``
 */

/** A value as an error message shows it: strings quoted, objects by their kind. */
export function describeValue(value: unknown): string {
	if (typeof value === 'string') return `\`${JSON.stringify(value)}\``;
	if (typeof value === 'number' || typeof value === 'boolean' || value === undefined || value === null) return `\`${String(value)}\``;
	if (Array.isArray(value)) return 'an array';
	if (typeof value === 'function') return 'a function';
	return `\`${Object.prototype.toString.call(value)}\``;
}

export function invalid(name: string, expected: string, value: unknown): TypeError {
	return new TypeError(`Expected the \`${name}\` option to be ${expected}, got ${describeValue(value)}.`);
}

/** The options argument itself must be a plain object (`what`: "the options", "the exec options"). */
export function assertOptionsObject(options: unknown, what: string): void {
	if (typeof options !== 'object' || options === null || Array.isArray(options)) {
		throw new TypeError(`Expected ${what} to be an object, got ${describeValue(options)}.`);
	}
}

export function rejectUnknown(options: object, known: ReadonlySet<string>, where: string): void {
	for (const key of Object.keys(options)) {
		if (!known.has(key)) {
			throw new TypeError(`Unknown ${where} option \`${key}\`. Known options: ${[...known].join(', ')}.`);
		}
	}
}

export function optionalString(name: string, value: unknown): string | undefined {
	if (value === undefined) return undefined;
	if (typeof value !== 'string' || value === '') throw invalid(name, 'a non-empty string', value);
	return value;
}

export function integerIn(name: string, value: unknown, min: number, max: number): number {
	if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
		throw invalid(name, `an integer from ${min} to ${max}`, value);
	}
	return value;
}

export function timeoutValue(name: string, value: unknown, fallback: number, allowZero: boolean): number {
	if (value === undefined) return fallback;
	if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
		throw invalid(name, allowZero ? 'a number of milliseconds ≥ 0 (0 means none)' : 'a number of milliseconds > 0', value);
	}
	return value;
}

/** Environment variables: shell variable names to strings without NUL (the guest writes them into a shell). */
export function envValue(name: string, value: unknown): Record<string, string> {
	if (value === undefined) return {};
	if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(name, 'an object of strings', value);
	const env: Record<string, string> = {};
	for (const [key, entry] of Object.entries(value)) {
		if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
			throw new TypeError(
				`Expected the \`${name}\` option's keys to be shell variable names ([A-Za-z_][A-Za-z0-9_]*), got \`${JSON.stringify(key)}\`.`,
			);
		}
		if (typeof entry !== 'string') throw invalid(`${name}.${key}`, 'a string', entry);
		if (entry.includes('\0')) throw invalid(`${name}.${key}`, 'a string without NUL characters', entry);
		env[key] = entry;
	}
	return env;
}

export function functionValue<T extends (...args: never[]) => unknown>(name: string, value: T | undefined): T | undefined {
	if (value !== undefined && typeof value !== 'function') throw invalid(name, 'a function', value);
	return value;
}

export function signalValue(name: string, value: unknown): AbortSignal | undefined {
	if (value === undefined) return undefined;
	if (!(value instanceof AbortSignal)) throw invalid(name, 'an AbortSignal', value);
	return value;
}

export function booleanValue(name: string, value: unknown): boolean {
	if (value === undefined) return false;
	if (typeof value !== 'boolean') throw invalid(name, 'a boolean', value);
	return value;
}
