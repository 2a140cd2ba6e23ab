/** One shared stack (Temporal dev server + FerretDB) for the whole run; see test/support/global-setup.ts. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/quiet-temporal.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testSequencer: '<rootDir>/test/support/slowest-first.cjs',
  testTimeout: 60_000,
  // Integration suites share two servers on a 2-core machine; more parallelism only adds contention.
  maxWorkers: 2,
};
