import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['test/**/*.test.ts'],
		// Integration tests boot real VMs under software emulation: give them room, and run files in
		// parallel only as far as the machine has cores.
		testTimeout: 120_000,
		hookTimeout: 120_000,
		pool: 'forks',
	},
});
