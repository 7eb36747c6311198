// A Vitest project run as a child process by test/integration/tap/kselftest.test.ts: real selftests
// built from linux-source-6.1 (VM_EXEC_KSELFTESTS) and a fixture install whose selftests fail, skip and hang.
import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['*.spec.ts'],
		hookTimeout: 120_000,
		pool: 'forks',
	},
});
