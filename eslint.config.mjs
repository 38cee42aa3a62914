import eslint from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.data/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node, ...globals.jest },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Tests read JSON bodies of any shape.
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // The k6 runtime runs inside a VU's script context: ECMAScript built-ins
    // only, like k6's. It coerces script values with String() as k6 does.
    files: ['libs/k6-runner/src/vu/js/**/*.ts'],
    rules: {
      '@typescript-eslint/no-base-to-string': 'off',
      'no-restricted-globals': [
        'error',
        ...[
          'process',
          'require',
          'Buffer',
          'fetch',
          'setTimeout',
          'setInterval',
          'setImmediate',
          'queueMicrotask',
          'structuredClone',
          'TextDecoder',
          'TextEncoder',
          'URL',
          'performance',
          'atob',
          'btoa',
        ].map((name) => ({
          name,
          message: "vu/js runs inside the script's context, which has ECMAScript built-ins only (as k6 has)",
        })),
      ],
    },
  },
  {
    // k6 scripts in plain JavaScript (the runner's test fixtures): k6's globals, no type information.
    files: ['libs/k6-runner/test/fixtures/**/*.js', 'apps/*/test/fixtures/**/*.js', 'bench/k6/**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      globals: { __ENV: 'readonly', __VU: 'readonly', __ITER: 'readonly', open: 'readonly' },
    },
  },
  {
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);
