/**
 * A view of a `Vm` bound to the test that uses it: its execs are canceled by the test's `signal`
 * (Vitest aborts it when the test times out) and the last command is remembered for the failure
 * report. The view is a Proxy, so it is still a `Vm` (`instanceof Vm`, same getters and methods).
 */
import type { ExecOptions } from '../options.js';
import type { Vm } from '../vm/vm.js';

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
}

export function createBinding(signal: AbortSignal | undefined): TestBinding {
	return { signal, used: new Map() };
}

// The wait helpers take the exec options as their second argument too, so they get the test's signal.
const EXEC_METHODS = new Set<PropertyKey>([
	'exec',
	'succeed',
	'fail',
	'waitUntilSucceeds',
	'waitUntilFails',
	'waitForFile',
	'waitForOpenPort',
]);

function withSignal(options: unknown, signal: AbortSignal | undefined): unknown {
	if (!signal) return options;
	if (options === undefined) return { signal };
	// Leave anything that is not an options object to the core, which reports it properly.
	if (typeof options !== 'object' || options === null || Array.isArray(options)) return options;
	const own = (options as ExecOptions).signal;
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

/**
 * Wrap `vm` so that `exec`/`succeed`/`fail` run under the signal of the binding current at call time
 * (`undefined`: no test is running, e.g. in `beforeAll`) and record their outcome in it.
 */
export function createVmView(vm: Vm, currentBinding: () => TestBinding | undefined): Vm {
	return new Proxy(vm, {
		get(target, property) {
			if (EXEC_METHODS.has(property)) {
				return async (script: string, options?: unknown) => {
					const binding = currentBinding();
					const previous = binding?.used.get(target);
					if (binding)
						binding.used.set(target, { script, exitCode: undefined, stderr: '', timedOut: false, isCanceled: false, running: true });
					const run = Reflect.get(target, property, target) as (script: string, options?: unknown) => Promise<unknown>;
					try {
						const result = await run.call(target, script, withSignal(options, binding?.signal));
						if (binding) binding.used.set(target, recordOf(result));
						return result;
					} catch (error) {
						if (binding) {
							// A bad argument (TypeError) ran nothing; a dead or closed VM left no result but its reason.
							const lost = { script, exitCode: undefined, stderr: '', timedOut: false, isCanceled: false, failure: String(error) };
							binding.used.set(target, recordOf(error) ?? (error instanceof TypeError ? previous : lost));
						}
						throw error;
					}
				};
			}
			// Private fields: getters and methods must run with the real Vm as `this`.
			const value: unknown = Reflect.get(target, property, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
}
