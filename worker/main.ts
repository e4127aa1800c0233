/**
 * The worker process. Shuts down gracefully on SIGINT/SIGTERM (the SDK's default signals): running
 * activities finish, and everything else is picked up again from Temporal by the next worker.
 */
import '../startup/node-version';
import type { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type LogLevel } from '@temporalio/worker';
import { temporalClient } from '../codec/data-converter';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig } from '../config';
import { openMigratedOrm } from '../db/orm';
import { exitOnStartupError } from '../startup/errors';
import { checkTemporal } from '../startup/temporal-check';
import { ensureArchiveSchedule } from './archive-schedule';
import { ensureReconciliationSchedule } from './reconciliation-schedule';
import { createWorker, runWorker, workerSettings } from './worker';

async function main(): Promise<void> {
  // Upper-cased: the SDK's levels are, and README's `LOG_LEVEL=debug` would otherwise log everything.
  Runtime.install({ logger: new DefaultLogger((process.env.LOG_LEVEL ?? 'INFO').toUpperCase() as LogLevel) });
  const config = loadConfig();
  const temporalAddress = config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  await checkTemporal(temporalAddress, config.temporalNamespace, config.temporalAddress !== undefined);
  const orm = await openMigratedOrm(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await createWorker({ connection, orm, ...workerSettings(config) });
  await ensureSchedules(temporalClient(connection, config.temporalNamespace, config.payloadKeys), config.taskQueue);
  console.log(`worker: polling task queue ${config.taskQueue} on ${temporalAddress}`);
  try {
    await runWorker(worker, { connection, orm, namespace: config.temporalNamespace, payloadKeys: config.payloadKeys });
  } finally {
    await connection.close();
    await orm.close();
  }
}

/** Payouts must not stop for want of an audit schedule: a failure is logged loudly, and the worker runs. */
async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  const schedules = { 'daily reconciliation': ensureReconciliationSchedule, 'archive sweep': ensureArchiveSchedule };
  for (const [name, ensure] of Object.entries(schedules)) {
    try {
      console.log(`worker: ${name} schedule ${await ensure(client, taskQueue)}`);
    } catch (err) {
      console.error(JSON.stringify({ level: 'error', message: `the ${name} schedule could not be ensured`, error: String(err) }));
    }
  }
}

main().catch(exitOnStartupError);
