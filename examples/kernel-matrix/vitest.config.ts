import { defineConfig } from 'vitest/config';
import { kernels } from './kernels.js';

// One project per kernel: the same specs, each project's `fileVm`/`vm` booted with that kernel. vm-exec
// caches an initramfs and a snapshot per kernel, so each project pays its cold boot once.
export default defineConfig({
	test: {
		testTimeout: 60_000,
		hookTimeout: 120_000,
		projects: kernels.map((kernel) => ({
			extends: true,
			test: {
				name: kernel.name,
				include: ['test/**/*.test.ts'],
				provide: { vmOptions: kernel.options, fileVmOptions: kernel.options },
			},
		})),
	},
});
