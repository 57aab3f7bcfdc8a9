/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // The end-to-end tier runs on its own (jest.e2e.config.js, `npm run test:e2e`): it needs the built tools and minutes.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/e2e/'],
  // Type checking is `npm run build`'s job; here ts-jest only transpiles, which keeps the suite fast.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }] },
  testTimeout: 60000,
  // One file at a time: the service suites start real ZooKeeper JVMs and engine processes, and on a 2-core machine
  // two such files side by side starve each other (fault tests time out) and finish later than in sequence.
  maxWorkers: 1,
};
