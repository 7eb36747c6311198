import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		// Under software emulation (CI runners without nested virtualization) a VM boots in several seconds,
		// and nix copy of the closure (its database and two store paths over 9p) takes some more.
		testTimeout: 240_000,
		hookTimeout: 240_000,
	},
});
