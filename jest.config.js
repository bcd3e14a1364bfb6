// Two layers: unit tests (*.test.ts, no infrastructure) and integration tests
// (*.int.test.ts, against the real local Kafka, FerretDB and Redis).
const { readFileSync } = require('node:fs');

const tsconfig = JSON.parse(readFileSync(`${__dirname}/tsconfig.base.json`, 'utf8'));
// "@careloop/bus" → the lib's index; "@careloop/gateway/*" (e2e only) → a service's src/*.
const moduleNameMapper = Object.fromEntries(
  Object.entries(tsconfig.compilerOptions.paths).map(([alias, [target]]) =>
    alias.endsWith('/*') ? [`^${alias.slice(0, -1)}(.*)$`, `<rootDir>/${target.slice(0, -1)}$1`] : [`^${alias}$`, `<rootDir>/${target}`],
  ),
);

const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' }, sourceMaps: 'inline' }],
};

const common = {
  rootDir: __dirname,
  transform,
  moduleNameMapper,
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/services', '<rootDir>/e2e', '<rootDir>/bench', '<rootDir>/tools'],
  modulePathIgnorePatterns: ['<rootDir>/dist', '<rootDir>/.local'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      // Generous: CI has two cores shared by parallel workers (testTimeout is not a per-project option).
      setupFilesAfterEnv: ['<rootDir>/tools/jest/unit-timeout.js'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['**/*.int.test.ts'],
      globalSetup: '<rootDir>/tools/jest/integration-setup.js',
      setupFilesAfterEnv: ['<rootDir>/tools/jest/integration-timeout.js'],
      slowTestThreshold: 30,
    },
  ],
};
