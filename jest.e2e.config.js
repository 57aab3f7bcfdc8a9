/**
 * The end-to-end tier (`npm run test:e2e`): the real Pulumi engine against a real control plane with kwok nodes
 * (tests/e2e/). Its own project because it needs the tools `tools/build.sh` builds and takes minutes, not seconds;
 * `npm test` stays the fast unit suite.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/e2e'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }] },
  // A bound per test above the engine's own: a workload's await times out after 10 minutes, each CLI call after 12.
  testTimeout: 15 * 60_000,
  // One stack file at a time: each starts a control plane and runs the engine, which fill both cores.
  maxWorkers: 1,
};
