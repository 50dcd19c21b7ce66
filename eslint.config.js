// ESLint over all our TypeScript and JavaScript: eslint's and typescript-eslint's recommended
// rules, plus the type-aware rules that catch a promise nobody waits for or handles (a deliberate
// fire-and-forget is marked `void`). Formatting is prettier's alone (see .prettierrc.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { defineConfig } from 'eslint/config';

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', '.taskd/', 'test-results/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        // Types come from the nearest tsconfig.json (web/ has its own); the few scripts no tsconfig
        // includes are typed with the root one's options.
        projectService: {
          allowDefaultProject: ['*.js', 'bin/*.js', 'web/*.mjs', 'web/*.ts', 'bench/*.mjs', 'reliability/*/*.mjs', 'scripts/run-tests.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() and describe() return promises its runner waits for itself.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      // Keys are left out of an object by destructuring them into `_name` beside a rest.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // On purpose: Kysely<any> in migrations (they must not follow today's schema) and untyped
      // JSON response bodies in tests.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  { files: ['web/src/**'], languageOptions: { globals: globals.browser } },
);
