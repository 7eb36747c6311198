// A Vitest project run as a child process by test/integration/keep/keep-runners.test.ts, with VM_EXEC_KEEP=failed.
import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: { include: ['*.spec.ts'], testTimeout: 120_000, hookTimeout: 120_000, pool: 'forks' },
});
