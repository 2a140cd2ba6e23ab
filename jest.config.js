/** One shared stack (Temporal dev server + the embedded MongoDB-wire server) for the whole run; see test/support/global-setup.ts. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Transpile only, with swc (already installed for Temporal's workflow bundler): `npm run check` type-checks, and a
  // fresh clone's cold transform cache costs seconds instead of ts-jest's minute of CPU.
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' } },
    ],
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/test/support/quiet-temporal.ts'],
  setupFilesAfterEnv: ['<rootDir>/test/support/has-assertions.ts'],
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testSequencer: '<rootDir>/test/support/slowest-first.cjs',
  testTimeout: 60_000,
  // On our 2-core machines the integration suites spend much of their time waiting on servers (outages, retries,
  // schedules): more workers than cores fill that idle CPU. Measured on the whole suite: 253 s with two workers,
  // 212 s with three (2026-11); with today's 823 tests, 312–328 s with three and 287–305 s with four (2026-12-07).
  maxWorkers: 4,
};
