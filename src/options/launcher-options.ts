/**
 * The `launcher` option, and the options it cannot be combined with.
 */
import type { VmOptions } from './vm-options.js';
import { invalid } from './validators.js';

/** Options a launcher decides for itself: combining them with `launcher` would silently do nothing. */
const OPTIONS_A_LAUNCHER_DECIDES = [
	'kernel',
	'modules',
	'arch',
	'root',
	'memory',
	'cpus',
	'accel',
	'qemu',
	'network',
	'lan',
	'shell',
	'disks',
	'gdb',
	'keep',
] as const;

export function launcherValue(options: VmOptions): string[] | undefined {
	const value = options.launcher;
	if (value === undefined) return undefined;
	if (!Array.isArray(value) || value.length === 0 || !value.every((arg) => typeof arg === 'string' && arg !== '')) {
		throw invalid('launcher', 'a non-empty array of non-empty strings (the launcher command and its leading arguments)', value);
	}
	const clash = OPTIONS_A_LAUNCHER_DECIDES.find((name) => options[name] !== undefined);
	if (clash) {
		throw new TypeError(
			`The \`${clash}\` option cannot be combined with \`launcher\`: the launcher decides it. Configure the launcher instead, or pass QEMU flags through \`qemuArgs\` (e.g. ['-m', '1G']).`,
		);
	}
	return [...value];
}
