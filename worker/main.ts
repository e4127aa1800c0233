/**
 * The worker process. Shuts down gracefully on SIGINT/SIGTERM (the SDK's default signals): running
 * activities finish, and everything else is picked up again from Temporal by the next worker.
 */
import '../startup/node-version';
import type { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { temporalClient } from '../codec/data-converter';
import { DEFAULT_TEMPORAL_ADDRESS, loadConfig } from '../config';
import { openBeginlessOrm, openMigratedOrm } from '../db/orm';
import type { Logger } from '../logger';
import { exitOnStartupError } from '../startup/errors';
import { checkTemporal } from '../startup/temporal-check';
import { ensureArchiveSchedule } from './archive-schedule';
import { installRuntimeLogging } from './logging';
import { ensureReconciliationSchedule } from './reconciliation-schedule';
import { createWorker, runWorker, WORKER_LIMITS, workerSettings } from './worker';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = workerSettings(config);
  const { logger } = settings;
  // Before the first native connection, which would otherwise install the SDK's default runtime.
  installRuntimeLogging(logger);
  const temporalAddress = config.temporalAddress ?? DEFAULT_TEMPORAL_ADDRESS;
  await checkTemporal(temporalAddress, config.temporalNamespace, config.temporalAddress !== undefined);
  const orm = await openMigratedOrm(config.databaseUrl);
  const writes = await openBeginlessOrm(config.databaseUrl);
  const connection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await createWorker({ connection, orm, writes, ...settings });
  await ensureSchedules(temporalClient(connection, config.temporalNamespace, config.payloadKeys), config.taskQueue, logger);
  logger.info({ taskQueue: config.taskQueue, temporalAddress, limits: WORKER_LIMITS }, `worker: polling task queue ${config.taskQueue}`);
  try {
    await runWorker(worker, { connection, orm, namespace: config.temporalNamespace, payloadKeys: config.payloadKeys, logger });
  } finally {
    await connection.close();
    await writes.close();
    await orm.close();
  }
}

/** Payouts must not stop for want of an audit schedule: a failure is logged loudly, and the worker runs. */
async function ensureSchedules(client: Client, taskQueue: string, logger: Logger): Promise<void> {
  const schedules = { 'daily reconciliation': ensureReconciliationSchedule, 'archive sweep': ensureArchiveSchedule };
  for (const [name, ensure] of Object.entries(schedules)) {
    try {
      logger.info(`worker: ${name} schedule ${await ensure(client, taskQueue)}`);
    } catch (err) {
      logger.error({ err, schedule: name }, `the ${name} schedule could not be ensured`);
    }
  }
}

main().catch(exitOnStartupError);
