/**
 * vm-exec is an ES module: Jest loads it (and these tests) as native ESM, which needs
 * `NODE_OPTIONS=--experimental-vm-modules` (see package.json) and no transform.
 * @type {import('jest').Config}
 */
export default {
	testEnvironment: 'node',
	transform: {},
	// A VM boots in about a second with KVM and in about 5 s under software emulation.
	testTimeout: 60_000,
};
