/**
 * The ceiling's worker: the product's worker limits and the same pre-built workflow bundle, with
 * the ceiling's no-op activities, polling the ceiling's own task queue. A process of its own, like
 * the product's worker, so that both pay the same inter-process costs.
 */
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { payloadDataConverter } from '../codec/data-converter';
import { loadConfig } from '../config';
import { loadWorkflowBundle, WORKER_LIMITS } from '../worker/worker';
import { createCeilingActivities } from './ceiling-activities';
import { CEILING_WORKER_READY_LINE } from './ready-lines';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger((process.env.LOG_LEVEL ?? 'WARN') as LogLevel) });
  const config = loadConfig();
  const connection = await NativeConnection.connect({ address: config.temporalAddress ?? '127.0.0.1:7233' });
  const worker = await Worker.create({
    connection,
    namespace: config.temporalNamespace,
    taskQueue: config.taskQueue,
    workflowBundle: await loadWorkflowBundle(),
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
