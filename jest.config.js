/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // The image builds run in `npm run test:images` (tests/images/jest.config.js), and the end-to-end tier in
  // `npm run test:e2e` (jest.e2e.config.js): they need Docker and the built tools, and take minutes.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/tests/images/', '<rootDir>/tests/e2e/'],
  // Type checking is `npm run build`'s job; here ts-jest only transpiles, which keeps the suite fast.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }] },
  testTimeout: 60000,
  // One file at a time: the service suites start real ZooKeeper JVMs and engine processes, and on a 2-core machine
  // two such files side by side starve each other (fault tests time out) and finish later than in sequence.
  maxWorkers: 1,
};
