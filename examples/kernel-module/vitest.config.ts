import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		// A VM boots in about a second with KVM and in about 5 s under software emulation (CI runners
		// without nested virtualization): give fixtures and hooks room.
		testTimeout: 60_000,
		hookTimeout: 120_000,
	},
});
