// A Jest project run as a child process by test/integration/test-runners/kernel-reports.test.ts.
export default { testEnvironment: 'node', transform: {}, testTimeout: 100_000, testMatch: ['**/*.spec.js'] };
