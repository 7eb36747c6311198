import { defineConfig } from 'vitest/config';

// `npm run keep-demo`: a spec that fails on purpose, run with VM_EXEC_KEEP=failed so that its VM is kept
// for `vm-exec attach`.
export default defineConfig({
	test: {
		include: ['keep-demo/**/*.test.ts'],
		testTimeout: 60_000,
		hookTimeout: 120_000,
	},
});
