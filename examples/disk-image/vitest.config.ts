import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		// A VM boots in about a second with KVM and in several seconds under software emulation (CI runners
		// without nested virtualization); the first VM with a disk also saves a snapshot for the next ones.
		testTimeout: 120_000,
		hookTimeout: 120_000,
	},
});
