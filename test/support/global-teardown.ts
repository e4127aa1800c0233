import mysql from 'mysql2/promise';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __temporal?: TestWorkflowEnvironment }).__temporal?.teardown();
  const name = process.env.TEST_DATABASE_NAME;
  if (name && !process.env.KEEP_TEST_DATABASE) {
    const admin = await mysql.createConnection(`${process.env.TEST_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306'}/`);
    await admin.query(`drop database if exists ${name}`);
    await admin.end();
  }
  rmSync(path.join(__dirname, '..', '..', '.data', `test-${process.pid}`), { recursive: true, force: true });
}
