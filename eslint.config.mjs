// ESLint's part of `npm run lint` (scripts/lint.sh: with Prettier, dpdm for import cycles and knip):
// the layers of the design card, kept by rules.
//   workflows/  deterministic: only @temporalio/workflow|common and its own modules; no store; activities as types only
//   activities/, api/, cli/, core/, scripts/, bench/  reach a workflow through workflows/contracts/ only
//   core/       the pure centre: imports nothing from activities, api, cli, worker or workflows
// and everywhere: no promise left floating or passed where nothing awaits it.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** A workflow module other than a contract, by any relative path ('../workflows', '../../workflows/incident'). */
const WORKFLOW_MODULE = { regex: '(^|/)workflows(/(?!contracts(/|$)).*)?$', message: 'import workflows/contracts/* instead' };

const layer = (files, patterns) => ({ files, rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] } });

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'build/', 'test-results/', '.herald/', 'test/replay/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test() and describe() return promises the runner itself awaits.
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Input checks match control characters on purpose; escapes that are not needed are harmless.
      'no-control-regex': 'off',
      'no-useless-escape': 'off',
    },
  },
  {
    // Tests read parsed JSON documents field by field.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['templates/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', navigator: 'readonly', fetch: 'readonly' } },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    languageOptions: {
      globals: { require: 'readonly', module: 'writable', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  layer(
    ['workflows/**/*.ts'],
    [
      {
        regex: '^(?![.]|@temporalio/(workflow|common)$)',
        message:
          'workflow code imports @temporalio/workflow, @temporalio/common and its own modules only (no Node built-ins or packages)',
      },
      {
        regex: '(^|/)activities(/|$)',
        allowTypeImports: true,
        message: 'workflows use activities through proxyActivities: import type only',
      },
      { regex: '(^|/)core/store(/|$)', message: 'workflows never touch the store: use an activity' },
    ],
  ),
  layer(['activities/**/*.ts', 'api/**/*.ts', 'cli/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'], [WORKFLOW_MODULE]),
  layer(
    ['core/**/*.ts'],
    [
      {
        regex: '(^|/)(activities|api|cli|worker|workflows)(/|$)',
        message: 'core/ is the centre: it imports nothing from activities, api, cli, worker or workflows',
      },
    ],
  ),
);
