// The spec file the warm-pool bench (bench/pool.ts) runs with Vitest, once with the pool and once without
// (VM_EXEC_POOL=1 / 0): the same `vm` fixture, the same tests, only the pool differs.
import { defineConfig } from 'vitest/config';

export default defineConfig({
	test: {
		include: ['*.spec.ts'],
		testTimeout: 120_000,
		hookTimeout: 120_000,
		pool: 'forks',
	},
});
