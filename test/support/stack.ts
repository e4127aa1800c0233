/**
 * The service as the tests drive it: a real worker (in this process, or in a child process that a
 * test may kill) on its own task queue, and the real Koa app over HTTP without a port
 * (`app.callback()`), against the run's Temporal dev server and MariaDB database.
 */
import { Connection, type Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { installQuietRuntime } from './quiet-runtime';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { temporalClient } from '../../codec/data-converter';
import { loadConfig, type Config } from '../../config';
import { openBeginlessOrm, openOrm, type Orm } from '../../db/orm';
import { issueToken, secretKey } from '../../api/auth';
import { buildApi } from '../../api/server';
import type { Role } from '../../api/spec';
import { createWorker, loadWorkflowBundle, runWorker, workerSettings } from '../../worker/worker';
import { stopProcess } from '../../worker/temporal-dev-server';
import { spawnService } from './processes';
import { conformingRequest } from './contract';
import type { Clock } from '../../domain/time';
import type { WebhookConfig } from '../../notify/notifier';
import { payloadKeyEnv } from './payload-keys';

export const TEST_JWT_SECRET = 'test-secret-0123456789abcdef0123456789';

export interface StackOptions {
  /** PAYOUT_CONFIRM_WINDOW for this stack; long by default so nothing expires mid-test. */
  confirmWindow?: string;
  /** Run the worker in a child process (so that a test can kill it), or not at all. */
  worker?: 'in-process' | 'child' | 'none';
  /** The clock of the API and the in-process worker's activities (not of workflow code). */
  clock?: Clock;
  /** Where the in-process worker delivers chat cards (NOTIFY_WEBHOOK_URL / _SECRET). */
  webhook?: WebhookConfig;
  /** PAYLOAD_KEYS / PAYLOAD_KEY_ID of this stack; the test keys, encrypting with `test-1`, by default. */
  payloadKeys?: NodeJS.ProcessEnv;
  /** Join the task queue of an earlier stack (a new release taking over its workflows); a fresh one by default. */
  taskQueue?: string;
}

export interface Stack {
  config: Config;
  orm: Orm;
  /** The in-process worker's ORM of the payout's writes (`openBeginlessOrm`); none without that worker. */
  writes?: Orm;
  client: Client;
  /** HTTP to the app without a port; every response is checked against openapi.yaml. */
  http: ReturnType<typeof conformingRequest>;
  token(sub: string, role: Role, sellerId?: string): Promise<string>;
  startChildWorker(): ChildProcess;
  stop(): Promise<void>;
}

export function testEnv(taskQueue: string, confirmWindow: string, payloadKeys: NodeJS.ProcessEnv = payloadKeyEnv()): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PAYOUT_CONFIRM_WINDOW: confirmWindow,
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'ERROR',
    ...payloadKeys,
  };
}

export { installQuietRuntime };

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  installQuietRuntime();
  const env = testEnv(options.taskQueue ?? `test-${randomUUID()}`, options.confirmWindow ?? '1h', options.payloadKeys);
  // Through the environment, as an operator configures it, so the API and every worker read the same.
  if (options.webhook) Object.assign(env, { NOTIFY_WEBHOOK_URL: options.webhook.url, NOTIFY_WEBHOOK_SECRET: options.webhook.secret });
  const config = loadConfig(env);
  const orm = await openOrm(config.databaseUrl);
  const client = temporalClient(await Connection.connect({ address: config.temporalAddress! }), config.temporalNamespace, config.payloadKeys);
  const { app } = buildApi({ config, orm, temporal: client, clock: options.clock });
  const children = new Set<ChildProcess>();
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  let writes: Orm | undefined;
  if ((options.worker ?? 'in-process') === 'in-process') {
    nativeConnection = await NativeConnection.connect({ address: config.temporalAddress! });
    const settings = workerSettings(config);
    writes = await openBeginlessOrm(config.databaseUrl);
    worker = await createWorker({ connection: nativeConnection, orm, writes, ...settings, clock: options.clock, workflowBundle: await loadWorkflowBundle() });
    running = runWorker(worker, { connection: nativeConnection, orm, namespace: config.temporalNamespace, payloadKeys: config.payloadKeys, logger: settings.logger });
  }
  const startChildWorker = () => {
    // Its log lines (LOG_LEVEL=ERROR) pass on to the test's stderr; a test waits for what the worker does, not for it.
    const { child } = spawnService({ name: 'worker', entry: 'worker/main.ts', env });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };
  if (options.worker === 'child') startChildWorker();
  return {
    config,
    orm,
    writes,
    client,
    http: conformingRequest(app.callback()),
    token: (sub, role, sellerId) => issueToken(secretKey(TEST_JWT_SECRET), { sub, role, ...(sellerId ? { seller_id: sellerId } : {}) }),
    startChildWorker,
    async stop() {
      worker?.shutdown();
      await running;
      await Promise.all([...children].map((child) => stopProcess(child)));
      await nativeConnection?.close();
      await client.connection.close();
      await writes?.close();
      await orm.close();
    },
  };
}

/** Unique ids per test, so that test files share one database without meeting. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** Polls until `check` returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
