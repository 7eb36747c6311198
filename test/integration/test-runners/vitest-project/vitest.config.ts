// A Vitest project run as a child process by test/integration/test-runners/vitest.test.ts: its tests
// exercise the fixtures (some fail on purpose) and record what they saw for the outer test to check.
import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['*.spec.ts'],
		testTimeout: 120_000,
		hookTimeout: 120_000,
		pool: 'forks',
		// Injected into the `fileVmOptions` fixture (checked by file-vm.spec.ts).
		provide: { fileVmOptions: { cpus: 2 } },
	},
});
