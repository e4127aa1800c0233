/**
 * The ceiling's worker: the product's worker limits, the ceiling's own pre-built workflow bundle
 * (bench/ceiling-bundle.ts) and no-op activities, polling the ceiling's own task queue. A process of
 * its own, like the product's worker, so that both pay the same inter-process costs.
 */
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { payloadDataConverter } from '../codec/data-converter';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { sdkLogger } from '../worker/logging';
import { WORKER_LIMITS } from '../worker/worker';
import { createCeilingActivities } from './ceiling-activities';
import { loadCeilingBundle } from './ceiling-bundle';
import { CEILING_WORKER_READY_LINE } from './ready-lines';

async function main(): Promise<void> {
  const config = loadConfig();
  // The SDK's lines in the product's format; the core's stay on its own console output.
  const logger = sdkLogger(createLogger(config.logLevel, 'ceiling-worker'));
  Runtime.install({ logger });
  const connection = await NativeConnection.connect({ address: config.temporalAddress ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    workflowBundle: await loadCeilingBundle(logger),
    // The product's codec, so that the ceiling pays for encryption as the product does.
    dataConverter: payloadDataConverter(config.payloadKeys),
    activities: createCeilingActivities(),
    ...WORKER_LIMITS,
  });
  console.log(`${CEILING_WORKER_READY_LINE} task queue ${config.taskQueue}`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
