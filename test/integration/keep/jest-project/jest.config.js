// A Jest project run as a child process by test/integration/keep/keep-runners.test.ts, with VM_EXEC_KEEP=failed.
export default { testEnvironment: 'node', transform: {}, testTimeout: 100_000, testMatch: ['**/*.spec.js'] };
