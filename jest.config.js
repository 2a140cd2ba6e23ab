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
  // On our 2-core machines the integration suites spend much of their time waiting on servers (outages, retries,
  // schedules): more workers than cores fill that idle CPU. Measured on the whole suite: 253 s with two workers,
  // 212 s with three (2026-11); with today's 823 tests, 312–328 s with three and 287–305 s with four (2026-12-07).
  maxWorkers: 4,
};
