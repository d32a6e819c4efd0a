import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import prettier from 'eslint-config-prettier';
import { importX } from 'eslint-plugin-import-x';
import vue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'apps/server/src/generated/**',
      'test-results/**',
      'playwright-report/**',
      'e2e/.artifacts/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      'vue/no-v-html': 'error',
      'vue/multi-word-component-names': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/ban-ts-comment': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Imports in the web app run one way (components → stores → @parley/client → @parley/shared):
    // a cycle anywhere in it fails the lint, and so `pnpm test` and CI.
    files: ['apps/web/src/**/*.ts', 'apps/web/src/**/*.vue'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'apps/web/tsconfig.json' })],
      'import-x/extensions': ['.ts', '.vue'],
    },
    // One parser for both, so that the rule can follow imports from .ts into .vue files.
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser } },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  {
    // A name declared again in an inner scope hides the outer one: a module's `closed` flag read
    // through a window's `closed` list made the presence service treat every failed window as its last.
    files: [
      'apps/server/src/**/*.ts',
      'apps/web/src/**/*.ts',
      'apps/web/src/**/*.vue',
      'packages/*/src/**/*.ts',
    ],
    rules: { '@typescript-eslint/no-shadow': 'error' },
  },
  {
    // Socket events are named once, in packages/shared (ClientEvent, ServerEvent): the server never spells one.
    files: ['apps/server/src/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Literal[value=/^(message|conversation|typing|presence|receipt|rate|session):[a-z]+$/]',
          message: 'Use ClientEvent or ServerEvent from @parley/shared instead of an event name literal.',
        },
      ],
    },
  },
  {
    files: [
      'scripts/**',
      'e2e/**',
      'bench/src/cli.ts',
      'bench/src/scale.ts',
      'bench/src/connections-cli.ts',
      '**/*.config.ts',
      '**/*.config.js',
    ],
    rules: { 'no-console': 'off' },
  },
  prettier,
);
