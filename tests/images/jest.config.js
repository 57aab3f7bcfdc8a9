/** @type {import('jest').Config} */
// `npm run test:images` (through tools/docker/test-images.sh, which provides the Docker engine): builds and runs the
// service images. Not part of `npm test`: a cold build takes minutes.
module.exports = {
  rootDir: '../..',
  testEnvironment: 'node',
  roots: ['<rootDir>/tests/images'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json', diagnostics: false }] },
  testTimeout: 120000,
  maxWorkers: 1,
};
