// ESLint, as Temporal's TypeScript samples set it up: floating promises are errors everywhere, and
// workflow code may not import Node built-ins or I/O libraries (it must stay deterministic).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const IO_LIBRARIES = ['mysql2', 'mysql2/*', '@mikro-orm/*', 'koa', '@koa/*', 'jose', 'prom-client', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

// What each top-level folder may import from the others; README's "How it is built" shows the same
// table. Anything else is an error. A folder missing here (scripts/, test/, chaos/, bench/) is a
// harness and may import anything; no product folder imports it, save worker/ the CLI installer.
const MAY_IMPORT = {
  domain: [],
  codec: ['domain'],
  temporal: ['domain'],
  logger: [],
  config: ['codec', 'domain', 'logger', 'startup'],
  startup: ['api', 'domain', 'temporal', 'workflows'],
  db: ['audit', 'config', 'domain', 'startup'],
  audit: ['db', 'domain'],
  provider: ['db', 'domain'],
  notify: ['db', 'domain'],
  // Workflow code is deterministic: activities and the I/O modules only as types (below).
  workflows: ['domain'],
  activities: ['audit', 'db', 'domain', 'notify', 'provider', 'temporal', 'workflows'],
  api: ['activities', 'audit', 'codec', 'config', 'db', 'domain', 'logger', 'notify', 'provider', 'startup', 'temporal', 'workflows'],
  worker: ['activities', 'api', 'codec', 'config', 'db', 'domain', 'logger', 'notify', 'provider', 'scripts', 'startup', 'temporal', 'workflows'],
  // The pages are built apart; they read only the types generated from openapi.yaml (below).
  web: ['api'],
};
const TOP_FOLDERS = [...Object.keys(MAY_IMPORT), 'scripts', 'test', 'chaos', 'bench'];
/** Modules that are one file at the top (`config.ts`, `logger.ts`) rather than a folder. */
const TOP_FILES = ['config', 'logger'];
/** A relative import that climbs out to one of `folders` (`../db/x`, `../../db/x`, `../config`). */
const reaching = (folders) => `^(\\.\\./)+(${folders.join('|')})(/|$)`;
const WORKFLOW_TYPE_SOURCES = ['activities', 'api', 'db', 'provider', 'notify'];

function folderRule(folder) {
  const forbidden = TOP_FOLDERS.filter((other) => other !== folder && !MAY_IMPORT[folder].includes(other));
  const may = MAY_IMPORT[folder].length ? MAY_IMPORT[folder].map((f) => `${f}/`).join(', ') : 'no other folder';
  const patterns = [];
  const untyped = folder === 'workflows' ? forbidden.filter((f) => !WORKFLOW_TYPE_SOURCES.includes(f)) : forbidden;
  patterns.push({ regex: reaching(untyped), message: `${folder}/ may import ${may} (README: How it is built).` });
  if (folder === 'workflows') {
    patterns.push({ group: IO_LIBRARIES, message: 'Workflow code is deterministic: reach I/O through activities.' });
    patterns.push({ regex: reaching(WORKFLOW_TYPE_SOURCES), allowTypeImports: true, message: 'Import only types from I/O modules in workflows.' });
  }
  if (folder === 'web') patterns.push({ regex: '^(\\.\\./)+api/(?!generated/)', message: 'The pages read only api/generated/ (types from openapi.yaml).' });
  const paths = folder === 'workflows' ? [...builtinModules, ...builtinModules.map((m) => `node:${m}`)] : [];
  const files = TOP_FILES.includes(folder) ? [`${folder}.ts`] : [`${folder}/**/*.ts`, `${folder}/**/*.tsx`];
  // The benchmark's ceiling is workflow code too, bundled on its own (bench/ceiling-bundle.ts).
  if (folder === 'workflows') files.push('bench/ceiling-workflow.ts');
  return {
    files,
    rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
  };
}
const FOLDER_RULES = Object.keys(MAY_IMPORT).map(folderRule);

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
  ...FOLDER_RULES,
  {
    files: ['test/**/*.ts', 'scripts/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', URL: 'readonly' } } },
);
