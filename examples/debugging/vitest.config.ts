import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		// The specs; keep-demo/ fails on purpose and runs only with `npm run keep-demo`.
		include: ['test/**/*.test.ts'],
		// A VM boots in about a second with KVM and in about 5 s under software emulation (CI runners
		// without nested virtualization): give fixtures and hooks room.
		testTimeout: 60_000,
		hookTimeout: 120_000,
	},
});
