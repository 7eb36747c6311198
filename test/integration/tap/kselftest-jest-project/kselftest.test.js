// The timens selftests (VM_EXEC_KSELFTESTS) as Jest tests: the same data and runner as vm-exec/kselftest
// gives Vitest, with Jest's own describe/test. Built dist/ stands in for the installed package.
import { listKselftests, runKselftest, useVm } from '../../../../dist/test-runners/jest.js';

for (const collection of listKselftests(process.env.VM_EXEC_KSELFTESTS, { collections: ['timens'] })) {
	describe(collection.name, () => {
		// The install dir as the working directory: the guest sees it even under its own /tmp or /root.
		const vm = useVm({ cwd: process.env.VM_EXEC_KSELFTESTS });
		for (const selftest of collection.tests) {
			test(
				selftest.name,
				async () => {
					const outcome = await runKselftest(vm(), selftest, { onProgress: (line) => process.stdout.write(`${line}\n`) });
					// Jest cannot skip a test once it runs: a kselftest skip passes, with its reason in `outcome.reason`.
					if (outcome.failure) throw outcome.failure;
				},
				selftest.timeoutSeconds * 1000 + 30_000,
			);
		}
	});
}
