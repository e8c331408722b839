/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // tsconfig.json sets isolatedModules, so ts-jest transpiles file by file (tsc checks types in `npm test`).
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  // One PostgreSQL per run: TEST_DATABASE_URL's, or an embedded one (test/setup/postgres.global-setup.ts).
  globalSetup: '<rootDir>/test/setup/postgres.global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/postgres.global-teardown.ts',
  // Integration files each start a server on a fresh database; two at a time fit the 2-core machines.
  maxWorkers: process.env.JEST_MAX_WORKERS ?? 2,
};
