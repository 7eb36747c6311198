/**
 * A small, pure command-line parser with the seed launcher's conventions: `--name=value` or
 * `--name value`, boolean `--flag`, a few short aliases (`-h`), and everything after the first `--`
 * kept apart verbatim (it is QEMU's). Unknown flags are errors, not positionals.
 */
import { UsageError } from './usage-error.js';

export interface FlagSpec {
	/** `'boolean'` flags take no value; `'string'` flags take one; `'list'` flags take one each time they appear. */
	type: 'boolean' | 'string' | 'list';
	short?: string;
}

export interface ParsedFlags {
	flags: Record<string, boolean | string | string[]>;
	positionals: string[];
	/** Everything after the first `--`, verbatim; undefined when there was no `--`. */
	rest: string[] | undefined;
}

export function parseFlags(argv: readonly string[], spec: Readonly<Record<string, FlagSpec>>): ParsedFlags {
	const flags: ParsedFlags['flags'] = {};
	const positionals: string[] = [];
	const shortNames = new Map(Object.entries(spec).flatMap(([name, flag]) => (flag.short ? [[flag.short, name] as const] : [])));
	for (let index = 0; index < argv.length; index++) {
		const arg = argv[index]!;
		if (arg === '--') return { flags, positionals, rest: argv.slice(index + 1) };
		let name: string | undefined;
		let inlineValue: string | undefined;
		if (arg.startsWith('--')) {
			const equals = arg.indexOf('=');
			name = equals === -1 ? arg.slice(2) : arg.slice(2, equals);
			inlineValue = equals === -1 ? undefined : arg.slice(equals + 1);
		} else if (/^-[A-Za-z]$/.test(arg)) {
			name = shortNames.get(arg.slice(1));
			if (!name) throw new UsageError(`Unknown option \`${arg}\`. QEMU options go after \`--\`.`);
		} else if (arg.startsWith('-') && arg !== '-') {
			throw new UsageError(`Unknown option \`${arg}\`. QEMU options go after \`--\` (e.g. \`vm-exec 'script' -- ${arg} …\`).`);
		} else {
			positionals.push(arg);
			continue;
		}
		const flag = Object.hasOwn(spec, name) ? spec[name] : undefined;
		if (!flag) throw new UsageError(`Unknown option \`--${name}\`.`);
		if (flag.type === 'boolean') {
			if (inlineValue !== undefined) throw new UsageError(`The option \`--${name}\` takes no value, got \`${arg}\`.`);
			flags[name] = true;
			continue;
		}
		let value = inlineValue;
		if (value === undefined) {
			const next = argv[index + 1];
			if (next === undefined || next === '--') throw new UsageError(`The option \`--${name}\` needs a value: \`--${name}=VALUE\`.`);
			value = next;
			index++;
		}
		if (flag.type === 'list') {
			const list = flags[name];
			flags[name] = Array.isArray(list) ? [...list, value] : [value];
		} else {
			if (flags[name] !== undefined) throw new UsageError(`The option \`--${name}\` was given twice.`);
			flags[name] = value;
		}
	}
	return { flags, positionals, rest: undefined };
}
