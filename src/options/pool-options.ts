/**
 * The `pool` option and `VM_EXEC_POOL`: how many VMs of one set of options may start ahead for the tests
 * that take a fresh VM each (the warm pool, src/pool/). The variable wins over the option (see environment.ts).
 */
import { poolSizeFromEnv } from './environment.js';

/** At most this many VMs wait per worker unless `pool` or `VM_EXEC_POOL` says otherwise. */
export const DEFAULT_POOL_SIZE = 1;

/**
 * The pool size from the `pool` option and `VM_EXEC_POOL` (the variable wins, so `VM_EXEC_POOL=0` turns
 * every pool off without editing a test). Throws the options gate's TypeError on a bad value.
 */
export function resolvePoolSize(option: number | undefined, env: string | undefined): number {
	const fromEnv = poolSizeFromEnv({ VM_EXEC_POOL: env });
	if (fromEnv !== undefined) return fromEnv;
	if (option === undefined) return DEFAULT_POOL_SIZE;
	if (typeof option !== 'number' || !Number.isInteger(option) || option < 0 || option > 16) {
		throw new TypeError(`Expected the \`pool\` option to be a whole number from 0 to 16, got \`${String(option)}\`.`);
	}
	return option;
}
