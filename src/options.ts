/**
 * The one options gate: every public option is documented, defaulted and validated under `options/`
 * (VM options, exec options, the `lan` and `launcher` options, `memory`, shared validators).
 * Bad values throw `TypeError: Expected the `x` option to be …, got `y``.
 */
export type { Accel, KernelReportPolicy, NormalizedVmOptions, VmOptions } from './options/vm-options.js';
export { kernelReportPolicy, normalizeOptions } from './options/normalize-vm-options.js';
export {
	type ExecOptions,
	type NormalizedExecOptions,
	normalizeExecOptions,
	validateExpectation,
	validateScript,
} from './options/exec-options.js';
export { parseMemoryMiB } from './options/memory.js';
export { describeValue } from './options/validators.js';
