/**
 * The fault run (`npm run chaos -- --payouts N`): N payouts across several sellers with a random
 * mix of confirm, decline, cancel and expiry, while workers are SIGKILLed and replaced, every
 * worker is down for a window, the Temporal dev server and MariaDB restart, the sandbox provider
 * fails, slows down and times out after moving money, the chat webhook's receiver is down and then
 * flaps, and the trade system closes or refunds orders under open payouts. Then every payout must
 * end, no transfer may happen twice, no acknowledged decision may be lost, no payout may be paid
 * whose order changed before its confirmation was recorded, every card must reach the receiver once
 * it is back, and the ledger and the provider's books must agree.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openMigratedOrm } from '../db/orm';
import { SandboxProvider, type SandboxFaults } from '../provider/sandbox';
import { freePort, stopProcess } from '../worker/temporal-dev-server';
import { bundleWorkflows } from '../worker/worker';
import { drive, type DriveOptions } from './drive';
import { injectFaults, type FaultOptions } from './faults';
import { ChaosClient } from './http';
import { startInfrastructure, type ExternalStack } from './infrastructure';
import { CHAOS_SECRET, participants, setUpMarket } from './market';
import { WorkerPool, spawnService, waitForHttp } from './processes';
import { drainCards, drainPayouts, installTrail, verify } from './verify';
import { WebhookReceiver } from './webhook';

export interface ChaosOptions extends DriveOptions, Omit<FaultOptions, 'log'> {
  workers: number;
  faults: Partial<SandboxFaults>;
  /** After the payouts end, cards have this long to reach the receiver that came back. */
  cardDrainMs: number;
  /** The whole run stops by itself after this. */
  timeLimitMs: number;
  dataDir: string;
  /** Reuse a running database server and Temporal (then neither is restarted). */
  external?: ExternalStack;
  log: (line: string) => void;
}

export type ChaosReport = Awaited<ReturnType<typeof verify>> & {
  payouts: number;
  /** The time limit came first: payouts left unsent, or the drain cut off. */
  timedOut: boolean;
  cardsUndeliveredAfterRecovery: number;
  /** Cards the receiver took more than once (at least once is the promise when deliveries fail). */
  cardsTakenTwice: number;
  faults: {
    workerKills: number; workersStarted: number; temporalRestarts: number; databaseRestarts: number; clientRetries: number;
    webhookDownS: number; webhookFlaps: number; ordersClosed: number; ordersRefunded: number; allWorkersDownS: number;
  };
  durationsS: { setup: number; load: number; drain: number; total: number };
};

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
  orderCloseRate: 0.1,
  orderRefundRate: 0.1,
  allWorkersDownMs: 20_000,
  allWorkersDownAtShare: 0.3,
  cardDrainMs: 5 * 60_000,
  timeLimitMs: 45 * 60_000,
};

/** Every check of the report; the run fails when one is false. */
export function checks(report: ChaosReport): Record<string, boolean> {
  return {
    withinTimeLimit: !report.timedOut,
    allEnded: report.terminal === report.created,
    noDoubleTransfer: report.doubleTransfers === 0,
    noMoneyWithoutPayout: report.moneyMovedWithoutPayout === 0,
    noLostDecision: report.lostConfirmations === 0 && report.lostDecisions === 0,
    noPaidAfterOrderClosed: report.paidAfterOrderClosed === 0,
    cardsDeliveredAfterRecovery: report.cardsUndeliveredAfterRecovery === 0,
    decisionsAcceptedWhileDown: report.decisionsAcceptedWhileDown > 0,
    ledgerBalanced: report.ledgerBalanced,
    providerMatchesLedger: report.providerMatchesLedger,
  };
}

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const deadline = t0 + options.timeLimitMs;
  // Every run starts from nothing: a Temporal file left by an earlier run would hold workflows
  // whose ids this run would reuse.
  rmSync(options.dataDir, { recursive: true, force: true });
  mkdirSync(options.dataDir, { recursive: true });
  const infra = await startInfrastructure(options.dataDir, options.external);
  const databaseName = `payouts_chaos_${process.pid}`;
  const orm = await openMigratedOrm(`${infra.databaseServerUrl}/${databaseName}`, 4);
  await installTrail(orm);
  const bundlePath = path.join(options.dataDir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await bundleWorkflows(quiet)).code);
  const webhook = await WebhookReceiver.reserve();
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: `${infra.databaseServerUrl}/${databaseName}`, TEMPORAL_ADDRESS: infra.temporalAddress, TEMPORAL_TASK_QUEUE: `chaos-${randomUUID()}`,
    PAYOUT_CONFIRM_WINDOW: `${options.confirmWindowS}s`, AUTH_JWT_SECRET: CHAOS_SECRET, PORT: String(port), LOG_LEVEL: 'ERROR', WORKFLOW_BUNDLE_PATH: bundlePath,
    NOTIFY_WEBHOOK_URL: webhook.url, NOTIFY_WEBHOOK_SECRET: 'chaos-webhook-secret',
  };
  const api = spawnService('api/main.ts', env);
  const pool = new WorkerPool(options.workers, env);
  const counters = { temporalRestarts: 0, databaseRestarts: 0 };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    pool.start();
    const client = new ChaosClient(`http://127.0.0.1:${port}`, deadline);
    const market = await setUpMarket(client, options.payouts);
    const sellerIds = market.sellers.map((s) => s.id);
    options.log(`chaos: ${market.sellers.length} sellers ready; creating ${options.payouts} payouts`);
    const tSetup = Date.now();
    await SandboxProvider.setFaults(orm, options.faults);
    const load = drive(client, market, options, () => pool.allDown, deadline);
    await injectFaults({ ...options }, { pool, infra, orm, webhook, load, counters, deadline });
    const tracked = await load.promise;
    await SandboxProvider.setFaults(orm, {});
    await webhook.up();
    const tLoad = Date.now();
    options.log(`chaos: load done in ${secs(tLoad - tSetup)} s; waiting for every payout to end and every card to arrive`);
    await drainPayouts(orm, sellerIds, deadline, options.log);
    const undelivered = await drainCards(orm, sellerIds, participants(market), Math.min(deadline, Date.now() + options.cardDrainMs), options.log);
    const timedOut = load.cutShort || Date.now() >= deadline;
    if (timedOut) options.log(`chaos: the time limit (${secs(options.timeLimitMs)} s) came first`);
    const report = await verify(orm, sellerIds, tracked);
    const tEnd = Date.now();
    const changed = tracked.filter((t) => t.id && t.orderChange);
    return {
      payouts: options.payouts,
      timedOut,
      ...report,
      cardsUndeliveredAfterRecovery: undelivered,
      cardsTakenTwice: webhook.cardsTakenTwice,
      faults: {
        workerKills: pool.killed, workersStarted: pool.started, ...counters, clientRetries: client.retries,
        webhookDownS: webhook.downS, webhookFlaps: webhook.flaps,
        ordersClosed: changed.filter((t) => t.orderChange === 'CLOSE').length,
        ordersRefunded: changed.filter((t) => t.orderChange === 'REFUND').length,
        allWorkersDownS: secs(pool.allDownMs),
      },
      durationsS: { setup: secs(tSetup - t0), load: secs(tLoad - tSetup), drain: secs(tEnd - tLoad), total: secs(tEnd - t0) },
    };
  } finally {
    await pool.stop();
    await stopProcess(api);
    await webhook.down();
    await orm.em.getConnection().execute(`drop database if exists \`${databaseName}\``).catch(() => undefined);
    await orm.close();
    await infra.stop();
  }
}

const secs = (ms: number) => Math.round(ms / 100) / 10;
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error: console.error, log() {} } as never;
