/**
 * `vm-exec/kselftest`: the kernel's selftests as Vitest tests. `describeKselftests(installDir)` turns a
 * kselftest install directory into a `describe` per collection and a test per selftest, each run in a
 * VM under its collection's `settings` timeout and judged as `run_kselftest.sh` judges it: exit status
 * 4 (`KSFT_SKIP`) is a Vitest skip, a failure names its failing cases and shows the selftest's output.
 *
 * ```ts
 * import { describeKselftests } from 'vm-exec/kselftest'
 * describeKselftests('/opt/kselftests', { collections: ['timens', 'kcmp'], vmOptions: { memory: '512M' } })
 * ```
 */
import path from 'node:path';
import { describe, test } from 'vitest';
import type { VmOptions } from '../options.js';
import { listKselftests, type KselftestCollection, type KselftestTest, type ListKselftestsOptions } from './kselftest-install.js';
import { runKselftest, type RunKselftestOptions } from './kselftest-run.js';
import { useVm } from './vitest.js';

export {
	KSELFTEST_DEFAULT_TIMEOUT_SECONDS,
	listKselftests,
	parseKselftestList,
	parseKselftestSettingsTimeout,
} from './kselftest-install.js';
export type { KselftestCollection, KselftestTest, ListKselftestsOptions } from './kselftest-install.js';
export { buildKselftestScript, KselftestError, runKselftest } from './kselftest-run.js';
export type { KselftestOutcome, RunKselftestOptions } from './kselftest-run.js';

/** Options of `describeKselftests()`. */
export interface DescribeKselftestsOptions extends ListKselftestsOptions, Omit<RunKselftestOptions, 'onProgress' | 'signal'> {
	/** `'collection'`: one VM per collection, its selftests one after another in it. `'selftest'`: a fresh VM each. @default 'collection' */
	vmPer?: 'collection' | 'selftest';
	/** Options of the VMs. */
	vmOptions?: VmOptions;
	/**
	 * Print a line per case as it finishes, in the test's output (Vitest shows it under the test while
	 * it runs); or a function to call with each line instead. @default true
	 */
	progress?: boolean | ((line: string) => void);
	/** Room, in milliseconds, for the Vitest timeout above the selftest's own (a fresh VM's boot, slow hosts). @default 30_000 */
	timeoutMargin?: number;
	/** The name of the outer `describe`. @default 'kselftest' */
	name?: string;
}

function progressOf(option: DescribeKselftestsOptions['progress']): ((line: string) => void) | undefined {
	if (typeof option === 'function') return option;
	// console.info, not process.stdout: Vitest attributes a test's console output to it and shows it live.
	return option === false ? undefined : (line) => console.info(line);
}

function vitestTimeout(test: KselftestTest, options: DescribeKselftestsOptions): number {
	const own = options.timeout ?? test.timeoutSeconds * 1000;
	// A timeout of 0 (none) in settings: Vitest's 0 means its default, so give a day instead.
	return own === 0 ? 86_400_000 : own + (options.timeoutMargin ?? 30_000);
}

function defineCollection(installDir: string, collection: KselftestCollection, options: DescribeKselftestsOptions): void {
	describe(collection.name, () => {
		// The install dir is the VMs' working directory, so the guest sees it wherever it is (a dir under the
		// guest's own /tmp or /root, such as the cache, is exposed as the working directory is).
		const vm = useVm({ cwd: path.resolve(installDir), ...options.vmOptions, per: options.vmPer === 'selftest' ? 'test' : 'suite' });
		const onProgress = progressOf(options.progress);
		for (const selftest of collection.tests) {
			test(
				selftest.name,
				async (context) => {
					const outcome = await runKselftest(vm(), selftest, {
						...(options.via ? { via: options.via } : {}),
						...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
						...(options.env ? { env: options.env } : {}),
						...(onProgress ? { onProgress } : {}),
						signal: context.signal,
					});
					if (outcome.status === 'skip') context.skip(`kselftest SKIP: ${outcome.reason}`);
					if (outcome.failure) throw outcome.failure;
				},
				vitestTimeout(selftest, options),
			);
		}
	});
}

/**
 * Define a `describe` per collection of the install directory and a test per selftest. Call it at the
 * top level of a test file (or inside a `describe`). Returns the collections it defined.
 */
export function describeKselftests(installDir: string, options: DescribeKselftestsOptions = {}): KselftestCollection[] {
	const collections = listKselftests(installDir, options);
	describe(options.name ?? 'kselftest', () => {
		for (const collection of collections) defineCollection(installDir, collection, options);
	});
	return collections;
}
