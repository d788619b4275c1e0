/**
 * Jest runs in ESM mode (@middy/core 7 is ESM-only). ts-jest only transpiles (tsconfig has isolatedModules), so
 * `npm test` runs `tsc --noEmit` first for the type check. Jest 29 + ts-jest rather than Jest 30 / SWC: those pull
 * native optional packages the registry here does not carry, which leaves a lock file `npm ci` refuses.
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 20000,
  // One DynamoDB Local (Java) for the whole run, spawned without waiting; suites reach it through tools/dynamodb-local/dynamodb.ts.
  globalSetup: '<rootDir>/tools/dynamodb-local/jest-dynamodb-local.setup.mjs',
  globalTeardown: '<rootDir>/tools/dynamodb-local/jest-dynamodb-local.teardown.mjs',
}
