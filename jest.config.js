/** Jest runs the TypeScript sources as ESM (the toolkit packages are ESM-only). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts', '<rootDir>/emulator/__tests__/**/*.test.ts'],
  // *.interop.test.ts need a system tool npm does not install (the `age` CLI): `npm run
  // test:interop` runs them, and CI installs the tool first. `npm test` passes without it.
  testPathIgnorePatterns: ['/node_modules/', '\\.interop\\.test\\.ts$'],
  testTimeout: 120000,
  maxWorkers: 2
}
