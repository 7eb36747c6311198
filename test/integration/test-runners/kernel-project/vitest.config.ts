// A Vitest project run as a child process by test/integration/test-runners/kernel-reports.test.ts: its tests
// make the guest kernel report splats (the splat fixture module, in the directory VM_EXEC_SPLAT_DIR names,
// shared into the VMs) and check that each test is judged by what the kernel logged during it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['*.spec.ts'],
		testTimeout: 120_000,
		hookTimeout: 120_000,
		pool: 'forks',
		// One file after the other: the outer test reads the order of their failures.
		fileParallelism: false,
	},
});
