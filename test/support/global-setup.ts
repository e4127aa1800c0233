/**
 * Once per test run: a Temporal dev server from the project's CLI binary through @temporalio/testing
 * (test/support/temporal-server.ts), a fresh MariaDB database with the migrations applied, and the
 * workflow code bundled once for every worker the tests start. The pages are typechecked against
 * openapi.yaml's generated types and built at the same time, so `npm test` (and `npx jest`) always
 * serves and drives the pages of the code under test.
 */
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { openMigratedOrm } from '../../db/orm';
import { payloadKeyEnv } from './payload-keys';
import { startTestServer } from './temporal-server';
import { writeWorkflowBundle } from './workflow-bundle';

const TMP = path.join(__dirname, '..', '..', '.data', `test-${process.pid}`);

export default async function globalSetup(): Promise<void> {
  mkdirSync(TMP, { recursive: true });
  const baseUrl = process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306';
  // One database per run, so that runs side by side never meet; dropped again at teardown.
  const databaseName = `payouts_test_${process.pid}`;
  const databaseUrl = `${baseUrl}/${databaseName}`;
  const admin = await mysql.createConnection(`${baseUrl}/`);
  await admin.query(`drop database if exists ${databaseName}`);
  await admin.end();
  const [server, , bundlePath] = await Promise.all([
    startTestServer(),
    openMigratedOrm(databaseUrl).then((orm) => orm.close()),
    writeWorkflowBundle(TMP),
    buildPages(),
  ]);
  process.env.TEST_DATABASE_URL = databaseUrl;
  process.env.TEST_DATABASE_NAME = databaseName;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.WORKFLOW_BUNDLE_PATH = bundlePath;
  // Every process a test starts (chaos's workers too) holds the test keys: one server, one keyring.
  Object.assign(process.env, payloadKeyEnv());
  (globalThis as { __temporal?: typeof server }).__temporal = server;
}

/** `npm run build:web`: a type error or a failed build stops the run with the compiler's words. */
async function buildPages(): Promise<void> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, ['run', '--silent', 'build:web'], { cwd: path.join(__dirname, '..', '..') }).catch((err: { stdout?: string; stderr?: string }) => {
    throw new Error(`the pages did not build (npm run build:web):\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  });
}
