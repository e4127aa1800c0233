/**
 * The fault run (`npm run chaos -- --payouts N`): N payouts across several sellers with a random
 * mix of confirm, decline, cancel and expiry, while workers are SIGKILLed and replaced, the
 * Temporal dev server and MariaDB restart, and the sandbox provider fails, slows down and times
 * out after moving money. Then every payout must end, no transfer may happen twice, no
 * acknowledged decision may be lost, and the ledger and the provider's books must agree.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { issueToken, secretKey } from '../api/auth';
import { checkInvariants } from '../db/invariants';
import { openMigratedOrm, type Orm } from '../db/orm';
import { SandboxProvider, type SandboxFaults } from '../provider/sandbox';
import { freePort, startDevServer, type DevServer } from '../worker/temporal-dev-server';
import { ChaosClient, sleep } from './http';
import { PrivateMariaDb } from './mariadb';
import { WorkerPool, spawnService, waitForHttp } from './processes';
import { stopProcess } from '../worker/temporal-dev-server';
import { bundleWorkflows } from '../worker/worker';

export interface ChaosOptions {
  payouts: number;
  /** Concurrent clients creating and deciding payouts. */
  concurrency: number;
  workers: number;
  confirmWindowS: number;
  /** A worker is SIGKILLed this often during the load, at most `workerKillsMax` times. */
  workerKillEveryMs: number;
  workerKillsMax: number;
  restartTemporal: boolean;
  restartDatabase: boolean;
  faults: Partial<SandboxFaults>;
  /** Faults stay on this long from the start of the load; 0: until the load ends. */
  faultBurstMs: number;
  /** The whole run stops by itself after this. */
  timeLimitMs: number;
  dataDir: string;
  /** Reuse a running database server and Temporal (then neither is restarted). */
  external?: { databaseServerUrl: string; temporalAddress: string };
  log: (line: string) => void;
}

export interface ChaosReport {
  payouts: number;
  created: number;
  terminal: number;
  doubleTransfers: number;
  moneyMovedWithoutPayout: number;
  lostConfirmations: number;
  lostDecisions: number;
  ledgerBalanced: boolean;
  providerMatchesLedger: boolean;
  statuses: Record<string, number>;
  /** How many payouts were meant for each end: the mix the run drew. */
  plans: Record<string, number>;
  faults: { workerKills: number; workersStarted: number; temporalRestarts: number; databaseRestarts: number; clientRetries: number };
  durationsS: { setup: number; load: number; drain: number; total: number };
  problems: string[];
}

type Plan = 'confirm' | 'decline' | 'cancel' | 'expire';

interface Tracked {
  id: string | null;
  plan: Plan;
  /** The API answered 200 to the decision. */
  acknowledged: boolean;
}

const SECRET = 'chaos-secret-0123456789abcdef0123456789';
const SELLER_PAYOUTS_MAX = 500; // well under the system's 1,000 a day
const PAYOUT_FEN_MAX = 1_000;
const DRAIN_POLL_MS = 1_000;

export const DEFAULT_CHAOS: Omit<ChaosOptions, 'dataDir' | 'log'> = {
  payouts: 300,
  concurrency: 16,
  workers: 2,
  confirmWindowS: 20,
  workerKillEveryMs: 4_000,
  workerKillsMax: 1_000,
  restartTemporal: true,
  restartDatabase: true,
  faults: { failRate: 0.2, latencyMs: 20, timeoutAfterMoveRate: 0.05 },
  faultBurstMs: 0,
  timeLimitMs: 30 * 60_000,
};

function pickPlan(): Plan {
  const r = Math.random();
  return r < 0.5 ? 'confirm' : r < 0.65 ? 'decline' : r < 0.8 ? 'cancel' : 'expire';
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const deadline = t0 + options.timeLimitMs;
  // Every run starts from nothing: a Temporal file left by an earlier run would hold workflows
  // whose ids this run would reuse.
  rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const infra = await startInfrastructure(options);
  const databaseUrl = `${infra.databaseServerUrl}/payouts_chaos_${process.pid}`;
  const orm = await openMigratedOrm(databaseUrl, 4);
  const bundlePath = path.join(options.dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows(quiet)).code);
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: infra.temporalAddress, TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}`,
    PAYOUT_CONFIRM_WINDOW: `${options.confirmWindowS}s`, AUTH_JWT_SECRET: SECRET, PORT: String(port), LOG_LEVEL: 'ERROR', WORKFLOW_BUNDLE_PATH: bundlePath,
  };
  const api = spawnService('api/main.ts', env);
  const pool = new WorkerPool(options.workers, env);
  const counters = { temporalRestarts: 0, databaseRestarts: 0 };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    pool.start();
    const client = new ChaosClient(`http://127.0.0.1:${port}`);
    const market = await setUpMarket(client, options);
    options.log(`chaos: ${market.sellers.length} sellers ready; creating ${options.payouts} payouts`);
    const tSetup = Date.now();
    await SandboxProvider.setFaults(orm, options.faults);
    const load = drive(client, market, options);
    await injectFaults(options, { pool, infra, orm, counters, isLoading: () => !load.done, deadline });
    const tracked = await load.promise;
    await SandboxProvider.setFaults(orm, {});
    const tLoad = Date.now();
    options.log(`chaos: load done in ${secs(tLoad - tSetup)} s; waiting for every payout to end`);
    await drain(orm, market.sellers.map((s) => s.id), deadline, options.log);
    const report = await verify(orm, market.sellers.map((s) => s.id), tracked, options.payouts);
    const tEnd = Date.now();
    return {
      ...report,
      faults: { workerKills: pool.killed, workersStarted: pool.started, ...counters, clientRetries: client.retries },
      durationsS: { setup: secs(tSetup - t0), load: secs(tLoad - tSetup), drain: secs(tEnd - tLoad), total: secs(tEnd - t0) },
    };
  } finally {
    await pool.stop();
    await stopProcess(api);
    await orm.em.getConnection().execute(`drop database if exists \`payouts_chaos_${process.pid}\``).catch(() => undefined);
    await orm.close();
    await infra.stop();
  }
}

const secs = (ms: number) => Math.round(ms / 100) / 10;
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;

interface Infrastructure {
  databaseServerUrl: string;
  temporalAddress: string;
  restartTemporal(): Promise<void>;
  restartDatabase(): Promise<void>;
  stop(): Promise<void>;
}

async function startInfrastructure(options: ChaosOptions): Promise<Infrastructure> {
  if (options.external) {
    const noRestart = async () => { throw new Error('an external stack is not restarted'); };
    return { ...options.external, restartTemporal: noRestart, restartDatabase: noRestart, stop: async () => undefined };
  }
  const db = new PrivateMariaDb(path.join(options.dataDir, 'mariadb'), await freePort());
  await db.create();
  const temporalPort = await freePort();
  const serverOptions = {
    port: temporalPort,
    dbFile: path.join(options.dataDir, 'temporal.db'),
    sqlitePragmas: ['journal_mode=WAL', 'synchronous=OFF'],
    logFile: path.join(options.dataDir, 'temporal.log'),
  };
  let temporal: DevServer = await startDevServer(serverOptions);
  return {
    databaseServerUrl: db.serverUrl,
    temporalAddress: temporal.address,
    async restartTemporal() {
      await temporal.stop();
      temporal = await startDevServer(serverOptions);
    },
    restartDatabase: () => db.restart(),
    async stop() {
      await temporal.stop();
      await db.destroy();
    },
  };
}

interface Market {
  system: string;
  sellers: { id: string; token: string; buyerToken: string; buyerId: string }[];
}

async function setUpMarket(client: ChaosClient, options: ChaosOptions): Promise<Market> {
  const key = secretKey(SECRET);
  const count = Math.max(1, Math.ceil(options.payouts / SELLER_PAYOUTS_MAX));
  const system = await issueToken(key, { sub: 'trade-system', role: 'system' });
  const sellers = await Promise.all(Array.from({ length: count }, async (_, i) => {
    const id = `chaos-seller-${i}`;
    const buyerId = `chaos-buyer-${i}`;
    const token = await issueToken(key, { sub: id, role: 'seller' });
    const limits = { dailyCount: 1_000, dailyAmount: 500_000, perPayoutAmount: PAYOUT_FEN_MAX };
    await expectOk(client.send('POST', '/v1/payout-account/enable', token, { agreement: { authCode: 'CHAOS' }, limits }));
    await expectOk(client.send('POST', '/v1/payout-account/recharges', token, { amount: SELLER_PAYOUTS_MAX * PAYOUT_FEN_MAX }, { 'idempotency-key': `chaos-recharge-${i}` }));
    return { id, token, buyerId, buyerToken: await issueToken(key, { sub: buyerId, role: 'buyer' }) };
  }));
  return { system, sellers };
}

async function expectOk(answer: Promise<{ status: number; body: unknown }>): Promise<void> {
  const { status, body } = await answer;
  if (status >= 300) throw new Error(`chaos setup failed: ${status} ${JSON.stringify(body)}`);
}

/** Creates every payout and sends its decision, `concurrency` at a time. */
function drive(client: ChaosClient, market: Market, options: ChaosOptions) {
  const tracked: Tracked[] = [];
  let next = 0;
  const state = { done: false, promise: Promise.resolve(tracked) };
  const lane = async () => {
    while (next < options.payouts) {
      const i = next++;
      const seller = market.sellers[i % market.sellers.length];
      tracked[i] = await onePayout(client, market.system, seller, i, options.confirmWindowS);
    }
  };
  state.promise = Promise.all(Array.from({ length: options.concurrency }, lane)).then(() => {
    state.done = true;
    return tracked;
  });
  return state;
}

async function onePayout(client: ChaosClient, system: string, seller: Market['sellers'][number], i: number, windowS: number): Promise<Tracked> {
  const plan = pickPlan();
  const orderId = `chaos-order-${i}`;
  await expectOk(client.send('PUT', `/v1/orders/${orderId}`, system, {
    sellerId: seller.id, buyerId: seller.buyerId, status: 'PAID', paymentType: 'STANDARD', totalAmount: 2 * PAYOUT_FEN_MAX, cashPaid: 2 * PAYOUT_FEN_MAX, nonCashPaid: 0,
  }));
  const amount = 1 + Math.floor(Math.random() * PAYOUT_FEN_MAX);
  const created = await client.send('POST', '/v1/payouts', seller.token, { orderId, amount, reason: 'COMPENSATION' }, { 'idempotency-key': `chaos-payout-${i}` });
  if (created.status !== 201) return { id: null, plan, acknowledged: false };
  const id = String(created.body.id);
  if (plan === 'expire') return { id, plan, acknowledged: false };
  await sleep(Math.random() * windowS * 400); // within the first 40 % of the window
  const token = plan === 'cancel' ? seller.token : seller.buyerToken;
  const answer = await client.send('POST', `/v1/payouts/${id}/${plan}`, token);
  return { id, plan, acknowledged: answer.status === 200 };
}

interface FaultContext {
  pool: WorkerPool;
  infra: Infrastructure;
  orm: Orm;
  counters: { temporalRestarts: number; databaseRestarts: number };
  isLoading: () => boolean;
  deadline: number;
}

/** Kills workers on a beat, and restarts Temporal and MariaDB once each, while the load runs. */
async function injectFaults(options: ChaosOptions, ctx: FaultContext): Promise<void> {
  const started = Date.now();
  let nextKill = started + options.workerKillEveryMs;
  let temporalDone = !options.restartTemporal;
  let databaseDone = !options.restartDatabase;
  let faultsOn = true;
  while (ctx.isLoading() && Date.now() < ctx.deadline) {
    const elapsed = Date.now() - started;
    if (Date.now() >= nextKill && ctx.pool.killed < options.workerKillsMax) {
      ctx.pool.killOne();
      nextKill = Date.now() + options.workerKillEveryMs;
    }
    if (!temporalDone && elapsed > 8_000) {
      temporalDone = true;
      options.log('chaos: restarting the Temporal dev server');
      await ctx.infra.restartTemporal();
      ctx.counters.temporalRestarts++;
    }
    if (!databaseDone && elapsed > 16_000) {
      databaseDone = true;
      options.log('chaos: restarting MariaDB');
      await ctx.infra.restartDatabase();
      ctx.counters.databaseRestarts++;
    }
    if (faultsOn && options.faultBurstMs > 0 && elapsed > options.faultBurstMs) {
      faultsOn = false;
      await SandboxProvider.setFaults(ctx.orm, {});
    }
    await sleep(250);
  }
}

async function drain(orm: Orm, sellerIds: string[], deadline: number, log: (line: string) => void): Promise<void> {
  let lastLog = 0;
  while (Date.now() < deadline) {
    const [row] = await orm.em.fork().getConnection().execute(
      `select count(*) as open from payouts where seller_id in (${sellerIds.map(() => '?').join(',')}) and status in ('AWAITING_CONFIRMATION', 'CONFIRMED')`,
      sellerIds,
    ).catch(() => [{ open: -1 }]);
    if (Number(row.open) === 0) return;
    if (Date.now() - lastLog > 10_000) {
      log(`chaos: ${row.open} payouts still open`);
      lastLog = Date.now();
    }
    await sleep(DRAIN_POLL_MS);
  }
}

async function verify(orm: Orm, sellerIds: string[], tracked: Tracked[], asked: number): Promise<Omit<ChaosReport, 'faults' | 'durationsS'>> {
  const em = orm.em.fork();
  const connection = em.getConnection();
  const inSellers = `(${sellerIds.map(() => '?').join(',')})`;
  const rows: { id: string; status: string }[] = await connection.execute(`select id, status from payouts where seller_id in ${inSellers}`, sellerIds);
  const statusOf = new Map(rows.map((r) => [r.id, r.status]));
  const statuses: Record<string, number> = {};
  for (const r of rows) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
  const [doubles] = await connection.execute(
    `select count(*) as n from (select payout_id from ledger_entries where kind = 'PAYOUT' and seller_id in ${inSellers} group by payout_id having count(*) > 1) d`,
    sellerIds,
  );
  const [unpaid] = await connection.execute(
    `select count(*) as n from sandbox_transactions t join payouts p on t.idempotency_key = concat('payout:', p.id)
     where t.kind = 'TRANSFER' and t.status = 'SUCCEEDED' and p.status <> 'PAID' and p.seller_id in ${inSellers}`,
    sellerIds,
  );
  const expectedEnd: Record<Plan, string[]> = { confirm: ['PAID', 'FAILED'], decline: ['DECLINED'], cancel: ['CANCELLED'], expire: ['EXPIRED'] };
  const acknowledged = tracked.filter((t) => t.id && t.acknowledged);
  const lost = acknowledged.filter((t) => !expectedEnd[t.plan].includes(statusOf.get(t.id!) ?? 'MISSING'));
  const invariants = await checkInvariants(em, sellerIds);
  const terminal = rows.filter((r) => !['AWAITING_CONFIRMATION', 'CONFIRMED'].includes(r.status)).length;
  const plans: Record<string, number> = {};
  for (const t of tracked) plans[t.plan] = (plans[t.plan] ?? 0) + 1;
  return {
    payouts: asked,
    created: tracked.filter((t) => t.id).length,
    terminal,
    doubleTransfers: Number(doubles.n),
    moneyMovedWithoutPayout: Number(unpaid.n),
    lostConfirmations: lost.filter((t) => t.plan === 'confirm').length,
    lostDecisions: lost.length,
    ledgerBalanced: invariants.ledgerBalanced,
    providerMatchesLedger: invariants.providerMatchesLedger,
    statuses,
    plans,
    problems: invariants.problems.slice(0, 20),
  };
}
