// ESLint, as Temporal's TypeScript samples set it up: floating promises are errors everywhere, and
// workflow code may not import Node built-ins or I/O libraries (it must stay deterministic).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const IO_LIBRARIES = ['mysql2', 'mysql2/*', '@mikro-orm/*', 'koa', '@koa/*', 'jose', 'prom-client', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.data/', 'api/generated/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The pages (web/) are checked by the same rules, through their own tsconfig (DOM, JSX).
    files: ['**/*.ts', 'web/**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error',
        { selector: "CallExpression[callee.name='parseFloat']", message: 'Money is integer fen: never parse floats.' },
        // Payloads are encrypted (SPEC §7): every client, worker and workflow bundle carries the codec.
        { selector: "NewExpression[callee.name='Client']:not(:has(Property[key.name='dataConverter']))", message: 'Build Temporal clients with temporalClient() (codec/data-converter.ts): payloads are encrypted.' },
        { selector: "CallExpression[callee.object.name='Worker'][callee.property.name='create']:not(:has(Property[key.name='dataConverter']))", message: 'Workers take dataConverter: payloadDataConverter(config.payloadKeys) (codec/data-converter.ts).' },
        { selector: "CallExpression[callee.name='bundleWorkflowCode']:not(:has(Property[key.name='failureConverterPath']))", message: 'Bundle workflows with bundleWorkflows() (worker/worker.ts): failure messages are encoded.' },
      ],
    },
  },
  {
    // The benchmark's ceiling is workflow code too, bundled on its own (bench/ceiling-bundle.ts).
    files: ['workflows/**/*.ts', 'bench/ceiling-workflow.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)],
        patterns: [
          { group: IO_LIBRARIES, message: 'Workflow code is deterministic: reach I/O through activities.' },
          { group: ['../activities/*', '../api/*', '../db/*', '../provider/*', '../notify/*'], allowTypeImports: true, message: 'Import only types from I/O modules in workflows.' },
        ],
      }],
    },
  },
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', URL: 'readonly' } } },
);
