// Lint rules for the whole workspace: strict type-aware TypeScript, no floating
// promises, exhaustive switches, no focused or skipped tests, and nx module
// boundaries (a service never imports another service; libs never import services).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';
import jest from 'eslint-plugin-jest';


const SCOPES = ['gateway', 'routing', 'scheduling', 'reminders', 'triage', 'crm-sync', 'analytics'];

function moduleBoundaries({ tests, allow = [] }) {
  const testing = tests ? ['type:testing', 'type:tool'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      // Tests import their own library through its public alias, as users do.
      allowCircularSelfDependency: true,
      allow,
      depConstraints: [
        { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts'] },
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contracts', ...testing] },
        { sourceTag: 'type:data', onlyDependOnLibsWithTags: ['type:data', 'type:util', 'type:contracts', ...testing] },
        { sourceTag: 'type:kit', onlyDependOnLibsWithTags: ['type:kit', 'type:data', 'type:util', 'type:contracts', ...testing] },
        { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:tool', 'type:util', 'type:contracts', ...testing] },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:kit', 'type:data', 'type:util', 'type:contracts'] },
        { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:kit', 'type:data', 'type:util', 'type:contracts', ...testing] },
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['*'] },
        { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
        // A service depends on its own code and shared libraries, never on another service.
        ...SCOPES.map((scope) => ({ sourceTag: `scope:${scope}`, onlyDependOnLibsWithTags: [`scope:${scope}`, 'scope:shared'] })),
      ],
    },
  ];
}

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/.local/**', '**/coverage/**', 'libs/contracts/src/gen/**', '**/*.js', '**/*.mjs', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Mongoose schema definitions are plain objects by design.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      '@nx/enforce-module-boundaries': moduleBoundaries({ tests: false }),
    },
  },
  {
    files: ['**/*.test.ts', '**/test/**/*.ts', '**/bench/**/*.ts', 'e2e/**/*.ts'],
    plugins: { jest },
    rules: {
      'jest/no-focused-tests': 'error',
      'jest/no-disabled-tests': 'error',
      'jest/expect-expect': ['error', { assertFunctionNames: ['expect', 'expect*'] }],
      'jest/no-identical-title': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/require-await': 'off',
      // Tests (and only tests) may also use the testing library.
      '@nx/enforce-module-boundaries': moduleBoundaries({ tests: true }),
    },
  },
  {
    // The end-to-end journeys start every service through its composition root, in one process,
    // so one test sees every span. Only they may import services, and only through their alias.
    files: ['e2e/**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': moduleBoundaries({ tests: true, allow: SCOPES.map((scope) => `@careloop/${scope}/**`) }),
    },
  },
);
