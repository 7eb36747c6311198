import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		// Builds the selftests (once: they are cached) before any test file is collected.
		globalSetup: ['./build.ts'],
		// Each selftest's own timeout comes from its collection's `settings` file (45 s without one).
		hookTimeout: 120_000,
	},
});
