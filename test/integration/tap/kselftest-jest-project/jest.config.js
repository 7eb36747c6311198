// A Jest project run as a child process by test/integration/tap/kselftest-jest.test.ts (native ESM:
// run with NODE_OPTIONS=--experimental-vm-modules).
/** @type {import('jest').Config} */
export default {
	testEnvironment: 'node',
	transform: {},
	testMatch: ['**/*.test.js'],
};
