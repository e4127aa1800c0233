/**
 * Everything a scenario runs against, started by the benchmark and stopped by it:
 * - a Temporal dev server in memory (SQLite with journal_mode=WAL, synchronous=OFF), or the server
 *   at TEMPORAL_ADDRESS when set (it must know the product's search attributes);
 * - the benchmark's own database, fresh (see database.ts);
 * - the product's worker (`worker/main.ts`) and API (`api/main.ts`, which listens on 127.0.0.1
 *   unless HOST says otherwise) as child processes, so that each one's memory and CPU are measured apart from the
 *   load generator's;
 * - for the ceiling, a worker and a minimal API of the benchmark's own, also child processes, on a
 *   task queue of their own.
 */
import { Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { secretKey, type JwtKey } from '../api/auth';
import { freePort, startDevServer, type DevServer } from '../worker/temporal-dev-server';
import { WORKER_READY_LINE, startService, waitForHttp, type Service } from '../test/support/processes';
import { quietLogger } from '../test/support/workflow-bundle';
import { bundleWorkflows } from '../worker/worker';
import { bundleCeilingWorkflow } from './ceiling-bundle';
import { DATABASE_SERVER_URL, createFreshDatabase, dropDatabase } from './database';
import { CEILING_API_READY_LINE, CEILING_WORKER_READY_LINE } from './ready-lines';
import { findListenerPid } from './usage';

const ROOT = path.join(__dirname, '..');
/** SQLite pragmas that make the dev server fast enough to not be the thing measured (as the tests use). */
const TEMPORAL_SQLITE_PRAGMAS = ['journal_mode=WAL', 'synchronous=OFF'];

/** Where the dev server keeps its SQLite database: in memory, or a file in the run's folder under .data/. */
export type TemporalStore = 'memory' | 'file';

export interface StackOptions {
  database: string;
  keepDatabase: boolean;
  /** PAYOUT_CONFIRM_WINDOW of the worker, the API and the ceiling. */
  confirmWindow: string;
  /** The list scenario needs only the API and the database. */
  worker: boolean;
  ceiling: boolean;
  profile: boolean;
  temporalStore?: TemporalStore;
}

export interface BenchStack {
  runId: string;
  jwtSecret: JwtKey;
  databaseName: string;
  temporalAddress: string;
  apiUrl: string;
  ceilingUrl: string | undefined;
  /** The task queues of the product's worker and of the ceiling's, the run's own. */
  taskQueues: { payouts: string; ceiling: string };
  /** The processes whose memory and CPU the report shows, by name. */
  pids: Record<string, number>;
  /** The dev server's SQLite file with `--temporal-store file` (its -wal and -shm beside it); gone after stop(). */
  temporalDbFile: string | undefined;
  /** With `profile`: the folder of the run's CPU profiles, a folder per service (bench/profile-summary.ts). */
  profileDir: string | undefined;
  stop(): Promise<void>;
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** What the children are told, by environment, as api/main.ts and worker/main.ts read it (config.ts). */
interface ServiceConfig {
  databaseUrl: string;
  temporalAddress: string;
  jwtSecret: string;
  /** The product's workflow bundle and the ceiling's, each made once here. */
  bundlePaths: { product: string; ceiling: string };
  confirmWindow: string;
}

export async function startStack(options: StackOptions): Promise<BenchStack> {
  const runId = `bench${Date.now().toString(36)}`;
  const runDir = path.join(ROOT, '.data', runId);
  mkdirSync(runDir, { recursive: true });
  const stoppers: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch((err) => log(`stopping: ${String(err)}`));
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    // If one of these fails, a dev server already started still dies with this process (its exit hook).
    const [temporal, databaseUrl, bundlePaths] = await Promise.all([
      startTemporal(runDir, options.temporalStore ?? 'memory'),
      createFreshDatabase(options.database),
      writeWorkflowBundles(runDir, options),
    ]);
    stoppers.push(() => (options.keepDatabase ? Promise.resolve() : dropDatabase(options.database)));
    stoppers.push(() => (temporal.server ? temporal.server.stop() : terminateLeftovers(temporal.address, runId)));
    log(`temporal ${temporal.address}${temporal.server ? ` (dev server, SQLite in ${options.temporalStore ?? 'memory'})` : ' (reused)'}, database ${options.database}`);
    const jwtSecret = randomBytes(32).toString('hex');
    const config = { databaseUrl, temporalAddress: temporal.address, jwtSecret, bundlePaths, confirmWindow: options.confirmWindow };
    const profileDir = options.profile ? path.join(ROOT, '.data', 'bench-profiles', runId) : undefined;
    const services = await startServices(options, config, runId, profileDir);
    stoppers.push(() => Promise.all(services.map((service) => service.stop())).then(() => undefined));
    const portOf = (name: string) => services.find((service) => service.name === name)?.port;
    return {
      runId,
      jwtSecret: secretKey(jwtSecret),
      databaseName: options.database,
      temporalAddress: temporal.address,
      apiUrl: `http://127.0.0.1:${portOf('api')}`,
      ceilingUrl: options.ceiling ? `http://127.0.0.1:${portOf('ceilingApi')}` : undefined,
      taskQueues: { payouts: taskQueueOf(runId, 'payouts'), ceiling: taskQueueOf(runId, 'ceiling') },
      pids: measuredPids(services, temporal.server),
      temporalDbFile: temporal.dbFile,
      profileDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Task queues are the run's own, so that a reused server never hands our tasks to another worker. */
const taskQueueOf = (runId: string, door: 'payouts' | 'ceiling') => `${runId}-${door}`;

function measuredPids(services: RunningService[], devServer: DevServer | undefined): Record<string, number> {
  const pids: Record<string, number> = { bench: process.pid };
  for (const service of services) pids[service.name] = service.child.pid!;
  if (devServer?.process.pid) pids.temporal = devServer.process.pid;
  const databasePid = findListenerPid(Number(new URL(DATABASE_SERVER_URL).port || 3306));
  if (databasePid) pids.mariadb = databasePid;
  return pids;
}

function serviceEnv(config: ServiceConfig, taskQueue: string, port: number, bundlePath: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATABASE_URL: config.databaseUrl,
    TEMPORAL_ADDRESS: config.temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    PAYOUT_CONFIRM_WINDOW: config.confirmWindow,
    AUTH_JWT_SECRET: config.jwtSecret,
    WORKFLOW_BUNDLE_PATH: bundlePath,
    HOST: '127.0.0.1',
    PORT: String(port),
    // A line per request would measure the pipe to the benchmark; warnings and errors still show.
    LOG_LEVEL: 'warn',
    // Cards stay in the database: a webhook would measure the receiver, not the service.
    NOTIFY_WEBHOOK_URL: '',
  };
}

/**
 * On a reused server, the run's workflows that are still open (pending payouts wait 3 days) would
 * outlive their workers; one batch operation terminates those of the run's task queues.
 */
async function terminateLeftovers(address: string, runId: string): Promise<void> {
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.startBatchOperation({
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      jobId: `${runId}-cleanup`,
      reason: 'benchmark run ended',
      visibilityQuery: `TaskQueue IN ('${taskQueueOf(runId, 'payouts')}', '${taskQueueOf(runId, 'ceiling')}') AND ExecutionStatus = 'Running'`,
      terminationOperation: {},
    });
  } finally {
    await connection.close();
  }
}

async function startTemporal(runDir: string, store: TemporalStore): Promise<{ address: string; server?: DevServer; dbFile?: string }> {
  const reused = process.env.TEMPORAL_ADDRESS;
  if (reused) return { address: reused };
  const dbFile = store === 'file' ? path.join(runDir, 'temporal.db') : undefined;
  const server = await startDevServer({ sqlitePragmas: TEMPORAL_SQLITE_PRAGMAS, dbFile, logFile: path.join(runDir, 'temporal.log') });
  return { address: server.address, server, dbFile };
}

/** Bundled once here, so that no worker spends its memory or start-up on webpack. */
async function writeWorkflowBundles(runDir: string, options: StackOptions): Promise<ServiceConfig['bundlePaths']> {
  const write = async (name: string, bundle: Promise<{ code: string }>) => {
    const bundlePath = path.join(runDir, name);
    writeFileSync(bundlePath, (await bundle).code);
    return bundlePath;
  };
  // One after the other: on two cores, two webpack runs at once only slow each other down.
  const product = options.worker ? await write('workflow-bundle.js', bundleWorkflows(quietLogger)) : '';
  const ceiling = options.ceiling ? await write('ceiling-bundle.js', bundleCeilingWorkflow(quietLogger)) : '';
  return { product, ceiling };
}

/**
 * `--cpu-prof` for one service, into a folder of its own (its threads each write a file there), so
 * that the product's processes and the ceiling's can be read side by side (bench/profile-summary.ts).
 */
function profilerFlags(dir: string): (service: string) => string[] {
  log(`CPU profiles of the product's and the ceiling's processes go to ${dir}, a folder each`);
  return (service) => ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, service)}`];
}

type RunningService = Service & { port: number };

async function startServices(options: StackOptions, config: ServiceConfig, runId: string, profileDir: string | undefined): Promise<RunningService[]> {
  const payoutsQueue = taskQueueOf(runId, 'payouts');
  const ceilingQueue = taskQueueOf(runId, 'ceiling');
  const profileFlags = profileDir ? profilerFlags(profileDir) : () => [];
  const { product, ceiling } = config.bundlePaths;
  // The ceiling's processes print a ready line. The product's worker logs one at info, so it runs at
  // info and only its warnings pass on; the API is ready when /healthz answers (a line per request
  // at info would measure the pipe).
  const worker = { readyLine: WORKER_READY_LINE, env: { LOG_LEVEL: 'info' } };
  const plans: ServicePlan[] = [
    { name: 'api', entry: 'api/main.ts', queue: payoutsQueue, bundle: product, flags: profileFlags('api'), wanted: true },
    { name: 'worker', entry: 'worker/main.ts', ...worker, queue: payoutsQueue, bundle: product, flags: profileFlags('worker'), wanted: options.worker },
    { name: 'ceilingApi', entry: 'bench/ceiling-api.ts', readyLine: CEILING_API_READY_LINE, queue: ceilingQueue, bundle: ceiling, flags: profileFlags('ceilingApi'), wanted: options.ceiling },
    { name: 'ceilingWorker', entry: 'bench/ceiling-worker.ts', readyLine: CEILING_WORKER_READY_LINE, queue: ceilingQueue, bundle: ceiling, flags: profileFlags('ceilingWorker'), wanted: options.ceiling },
  ];
  const started: RunningService[] = [];
  try {
    // One at a time: on two cores, parallel tsx start-ups only slow each other down.
    for (const plan of plans.filter((p) => p.wanted)) {
      const port = await freePort();
      const env = { ...serviceEnv(config, plan.queue, port, plan.bundle), ...plan.env };
      const service = await startService({ name: plan.name, entry: plan.entry, env, readyLine: plan.readyLine, logsFrom: 'warn', nodeFlags: plan.flags });
      if (plan.name === 'api') await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      started.push({ ...service, port });
    }
    return started;
  } catch (err) {
    await Promise.all(started.map((service) => service.stop()));
    throw err;
  }
}

interface ServicePlan {
  name: string;
  entry: string;
  readyLine?: string;
  /** Over the service's environment. */
  env?: NodeJS.ProcessEnv;
  queue: string;
  bundle: string;
  flags: string[];
  wanted: boolean;
}
