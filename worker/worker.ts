/**
 * Wires the world for the worker: ORM, sandbox provider, notifier, clock → activities; the
 * pre-bundled workflow code; a bounded workflow cache and bounded concurrency.
 */
import { bundleWorkflowCode, NativeConnection, Worker, type Logger as SdkLogger, type WorkflowBundleOption } from '@temporalio/worker';
import type { MikroORM } from '@mikro-orm/mysql';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createArchiveActivities } from '../activities/archive-activities';
import { createPayoutActivities } from '../activities/payout-activities';
import { FAILURE_CONVERTER_PATH, payloadDataConverter, temporalClient } from '../codec/data-converter';
import type { PayloadKeyring } from '../codec/keyring';
import { createReconciliationActivities } from '../activities/reconciliation-activities';
import { createReserveActivities } from '../activities/reserve-activities';
import { createTopUpActivities } from '../activities/top-up-activities';
import { systemClock, type Clock } from '../domain/time';
import { Notifier, type WebhookConfig } from '../notify/notifier';
import type { PaymentProvider } from '../provider/provider';
import { SandboxProvider } from '../provider/sandbox';
import type { Config } from '../config';
import { createLogger, type Logger } from '../logger';
import { sdkLogger } from './logging';
import { startOrderChangeSweep } from './order-change-sweep';

/**
 * Limits that keep one worker's memory and database pool bounded. The workflow cache holds the
 * payouts that are moving; a parked one (awaiting its buyer for up to 3 days) is evicted and
 * replayed from its short history when it wakes. Measured with `npm run bench -- --scenario
 * pending` (10,000 parked payouts): worker peak RSS 1,309 MB with 2,000 cached, 790 MB with 500,
 * creates/s unchanged; with 100,000 parked (2026-12-01), 950 MB peak and 693 MB settled.
 */
export const WORKER_LIMITS = Object.freeze({
  maxCachedWorkflows: 500,
  maxConcurrentActivityTaskExecutions: 50,
  maxConcurrentWorkflowTaskExecutions: 50,
});

export interface WorkerDeps {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  orm: MikroORM;
  /** The ORM of the payout's own writes, whose transactions send no BEGIN (`openBeginlessOrm`); `orm` when not given. */
  writes?: MikroORM;
  /** The payload codec's keys: the worker decrypts what clients wrote and encrypts what it writes. */
  payloadKeys: PayloadKeyring;
  provider?: PaymentProvider;
  clock?: Clock;
  webhook?: WebhookConfig;
  workflowBundle?: WorkflowBundleOption;
}

/** What runs beside the worker (the order-change sweep) logs here; the SDK's lines go to its runtime's logger. */
interface RunDeps extends Pick<WorkerDeps, 'connection' | 'namespace' | 'orm' | 'payloadKeys'> {
  logger: Logger;
}

/**
 * What the configuration says about the worker (SPEC §8b), read in this one place for `npm start`,
 * `worker/main.ts` and the tests alike, so that a variable means the same in every way of running.
 */
export function workerSettings(config: Config): Pick<WorkerDeps, 'namespace' | 'taskQueue' | 'webhook' | 'payloadKeys'> & Pick<RunDeps, 'logger'> {
  return {
    logger: createLogger(config.logLevel, 'worker'),
    namespace: config.temporalNamespace,
    payloadKeys: config.payloadKeys,
    taskQueue: config.taskQueue,
    webhook: config.notifyWebhookUrl ? { url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret ?? '' } : undefined,
  };
}

/**
 * Runs the worker and, beside it, the sweep that re-tells payout workflows of order changes a dead
 * API process did not tell; resolves when the worker stops (after `worker.shutdown()`).
 */
export async function runWorker(worker: Worker, deps: RunDeps): Promise<void> {
  const sweep = startOrderChangeSweep(deps.orm, temporalClient(deps.connection, deps.namespace, deps.payloadKeys), deps.logger);
  try {
    await worker.run();
  } finally {
    await sweep.stop();
  }
}

/** The workflow code, bundled once; `WORKFLOW_BUNDLE_PATH` points at a bundle made earlier (tests, bench). */
export async function loadWorkflowBundle(bundlePath = process.env.WORKFLOW_BUNDLE_PATH): Promise<WorkflowBundleOption> {
  if (bundlePath) return { code: await readFile(bundlePath, 'utf8') };
  return bundleWorkflows();
}

/**
 * Bundles the workflow code with the failure converter that encodes failure messages: the sandbox
 * converts a workflow's errors itself, so the converter must be inside the bundle, not only in the
 * worker's options. Every bundle of the project (tests, chaos, bench) is made here.
 */
export function bundleWorkflows(logger: SdkLogger = bundlerLogger()): Promise<{ code: string }> {
  return bundleWorkflowsOf(path.join(__dirname, '..', 'workflows', 'index.ts'), logger);
}

/**
 * How every workflow bundle is made (the benchmark's ceiling's too, bench/ceiling-bundle.ts): the
 * failure converter inside, and the workflow modules preloaded. The worker runs every workflow in
 * one reusable V8 context, which shares the modules loaded before any workflow exists and loads
 * every other one again for each workflow: a payout evaluated the bundle's 19 modules of ours anew
 * at each start (issue 18, the hot seller's profile). Preloaded, they are evaluated once and frozen.
 * Sharing is safe only for modules that keep no state of a workflow of their own: ours hold
 * constants, message definitions and activity proxies, which the SDK freezes, and no module-level
 * `let` or `var`, which it could not (test/unit/workflow-modules.test.ts keeps it so).
 */
export function bundleWorkflowsOf(workflowsPath: string, logger: SdkLogger): Promise<{ code: string }> {
  return bundleWorkflowCode({ workflowsPath, failureConverterPath: FAILURE_CONVERTER_PATH, preloadModules: [workflowsPath], logger });
}

/** The bundler reports every module it packs at info: only its warnings and errors are worth a line. */
const bundlerLogger = () => sdkLogger(createLogger('warn', 'worker'), 'WARN');

export async function createWorker(deps: WorkerDeps): Promise<Worker> {
  const clock = deps.clock ?? systemClock;
  const notifier = new Notifier(deps.orm, clock, deps.webhook);
  const provider = deps.provider ?? new SandboxProvider(deps.orm, clock);
  const activities = {
    ...createPayoutActivities({ orm: deps.orm, writes: deps.writes, provider, notifier, clock }),
    ...createTopUpActivities({ orm: deps.orm, provider, notifier, clock }),
    ...createReserveActivities({ orm: deps.orm, provider, notifier, clock }),
    ...createReconciliationActivities({ orm: deps.orm, provider, notifier, clock }),
    // The archive reads histories through this client: it must decode payloads as the worker does.
    ...createArchiveActivities({ orm: deps.orm, client: temporalClient(deps.connection, deps.namespace, deps.payloadKeys), clock }),
  };
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    workflowBundle: deps.workflowBundle ?? (await loadWorkflowBundle()),
    dataConverter: payloadDataConverter(deps.payloadKeys),
    activities,
    ...WORKER_LIMITS,
  });
}
