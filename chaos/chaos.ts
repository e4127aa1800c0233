/**
 * The fault run (`npm run chaos -- --payouts N`): N payouts across several sellers with a random
 * mix of confirm, decline, cancel and expiry, and sellers' recharges and withdrawals beside them,
 * while workers and the API are SIGKILLed and replaced, every
 * worker is down for a window, the Temporal dev server and MariaDB restart, the sandbox provider
 * fails, slows down and times out after moving money, the chat webhook's receiver is down and then
 * flaps, and the trade system closes or refunds orders under open payouts. Then every payout must
 * end, no transfer may happen twice, no acknowledged decision may be lost, no payout may be paid
 * whose order changed before its confirmation was recorded, every card must reach the receiver once
 * it is back, every withdrawal must get a final answer and be in the ledger and the provider's books
 * exactly as answered, and the ledger and the provider's books must agree.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { secretKey } from '../api/auth';
import { openMigratedOrm } from '../db/orm';
import { SandboxProvider, type SandboxFaults } from '../provider/sandbox';
import { openMarket, participants } from '../test/support/http-market';
import { JsonClient } from '../test/support/json-client';
import { writeWorkflowBundle } from '../test/support/workflow-bundle';
import { freePort } from '../worker/temporal-dev-server';
import { PAYOUT_FEN_MAX, SELLER_PAYOUTS_MAX, drive, type DriveOptions } from './drive';
import { injectFaults, type FaultOptions } from './faults';
import { startInfrastructure, type ExternalStack } from './infrastructure';
import { drainCards, drainPayouts, drainWorkflows, installTrail, undeliveredCardSamples, verify } from './verify';
import { WebhookReceiver } from './webhook';
import { WorkerPool } from './worker-pool';
import { ApiServer } from './api-server';
import { SellerMoves, WITHDRAWAL_LANES, verifyWithdrawals } from './withdrawals';

const CHAOS_SECRET = 'chaos-secret-0123456789abcdef0123456789';
/** Per attempt: a create waits up to 15 s for the workflow; a careful client gives it a little more. */
const REQUEST_TIMEOUT_MS = 20_000;

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

export type ChaosReport = Awaited<ReturnType<typeof verify>> & Awaited<ReturnType<typeof verifyWithdrawals>> & {
  payouts: number;
  /** The time limit came first: payouts left unsent, or the drain cut off. */
  timedOut: boolean;
  cardsUndeliveredAfterRecovery: number;
  /** The first of them, by id, kind and when stored. */
  cardsUndeliveredSamples: string[];
  /** Payout workflows still running once the payouts and cards had their time to end (a stuck workflow). */
  workflowsStillRunning: number;
  /** Cards the receiver took more than once (at least once is the promise when deliveries fail). */
  cardsTakenTwice: number;
  faults: {
    workerKills: number; workersStarted: number; apiKills: number; apiKillsDuringWithdrawal: number; apiDownS: number;
    temporalRestarts: number; databaseRestarts: number; clientRetries: number;
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
  apiKillEveryMs: 30_000,
  apiKillsMax: 1_000,
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
    allWorkflowsClosed: report.workflowsStillRunning === 0,
    noDoubleTransfer: report.doubleTransfers === 0,
    noMoneyWithoutPayout: report.moneyMovedWithoutPayout === 0,
    noLostDecision: report.lostConfirmations === 0 && report.lostDecisions === 0,
    noPaidAfterOrderClosed: report.paidAfterOrderClosed === 0,
    cardsDeliveredAfterRecovery: report.cardsUndeliveredAfterRecovery === 0,
    decisionsAcceptedWhileDown: report.decisionsAcceptedWhileDown > 0,
    withdrawalsAnswered: report.withdrawals.sent > 0 && report.withdrawals.unanswered === 0 && report.withdrawals.otherAnswers.length === 0,
    noLostWithdrawal: report.lostWithdrawals === 0,
    apiKilled: report.faults.apiKills > 0,
    ledgerBalanced: report.ledgerBalanced,
    providerMatchesLedger: report.providerMatchesLedger,
    tallyAgrees: report.tallyDisagreements.length === 0,
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
  const bundlePath = await writeWorkflowBundle(options.dataDir);
  const webhook = await WebhookReceiver.reserve();
  const port = await freePort();
  const taskQueue = `chaos-${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env, DATABASE_URL: `${infra.databaseServerUrl}/${databaseName}`, TEMPORAL_ADDRESS: infra.temporalAddress, TEMPORAL_TASK_QUEUE: taskQueue,
    PAYOUT_CONFIRM_WINDOW: `${options.confirmWindowS}s`, AUTH_JWT_SECRET: CHAOS_SECRET, PORT: String(port), LOG_LEVEL: 'ERROR', WORKFLOW_BUNDLE_PATH: bundlePath,
    NOTIFY_WEBHOOK_URL: webhook.url, NOTIFY_WEBHOOK_SECRET: 'chaos-webhook-secret',
  };
  const api = new ApiServer(env, port);
  const pool = new WorkerPool(options.workers, env);
  const counters = { temporalRestarts: 0, databaseRestarts: 0, apiKillsDuringWithdrawal: 0 };
  // Each lane has a create or an order change and a decision in flight at most; a withdrawal lane one request.
  const client = new JsonClient(`http://127.0.0.1:${port}`, 2 * options.concurrency + WITHDRAWAL_LANES, { timeoutMs: REQUEST_TIMEOUT_MS, deadline });
  try {
    await api.start(deadline);
    pool.start();
    const market = await openMarket(client, secretKey(CHAOS_SECRET), {
      tag: 'chaos', sellers: Math.ceil(options.payouts / SELLER_PAYOUTS_MAX), ordersPerSeller: 0,
      rechargeFen: SELLER_PAYOUTS_MAX * PAYOUT_FEN_MAX, limits: { perPayoutAmount: PAYOUT_FEN_MAX },
    });
    const sellerIds = market.sellers.map((s) => s.sellerId);
    options.log(`chaos: ${market.sellers.length} sellers ready; creating ${options.payouts} payouts`);
    const tSetup = Date.now();
    await SandboxProvider.setFaults(orm, options.faults);
    const load = drive(client, market, options, () => pool.allDown, deadline);
    const moves = new SellerMoves(client, market, deadline);
    moves.start(() => !load.done && Date.now() < deadline);
    await injectFaults({ ...options }, { pool, api, moves, infra, orm, webhook, load, counters, deadline });
    const tracked = await load.promise;
    await moves.promise;
    await SandboxProvider.setFaults(orm, {});
    await webhook.up();
    const tLoad = Date.now();
    options.log(`chaos: load done in ${secs(tLoad - tSetup)} s; waiting for every payout to end and every card to arrive`);
    await drainPayouts(orm, sellerIds, deadline, options.log);
    const cardsDeadline = Math.min(deadline, Date.now() + options.cardDrainMs);
    const undelivered = await drainCards(orm, sellerIds, participants(market), cardsDeadline, options.log);
    const workflowsStillRunning = await drainWorkflows(infra.temporalAddress, taskQueue, cardsDeadline, options.log);
    const cardsUndeliveredSamples = undelivered === 0 ? [] : await undeliveredCardSamples(orm, participants(market));
    const timedOut = load.cutShort || Date.now() >= deadline;
    if (timedOut) options.log(`chaos: the time limit (${secs(options.timeLimitMs)} s) came first`);
    const report = await verify(orm, sellerIds, tracked);
    const withdrawals = await verifyWithdrawals(orm, sellerIds, moves);
    const tEnd = Date.now();
    const changed = tracked.filter((t) => t.id && t.orderChange);
    return {
      payouts: options.payouts,
      timedOut,
      ...report,
      ...withdrawals,
      cardsUndeliveredAfterRecovery: undelivered,
      cardsUndeliveredSamples,
      workflowsStillRunning,
      cardsTakenTwice: webhook.cardsTakenTwice,
      faults: {
        workerKills: pool.killed, workersStarted: pool.started, apiKills: api.kills, apiDownS: secs(api.downMs), ...counters, clientRetries: client.retries,
        webhookDownS: webhook.downS, webhookFlaps: webhook.flaps,
        ordersClosed: changed.filter((t) => t.orderChange === 'CLOSE').length,
        ordersRefunded: changed.filter((t) => t.orderChange === 'REFUND').length,
        allWorkersDownS: secs(pool.allDownMs),
      },
      durationsS: { setup: secs(tSetup - t0), load: secs(tLoad - tSetup), drain: secs(tEnd - tLoad), total: secs(tEnd - t0) },
    };
  } finally {
    client.close();
    await pool.stop();
    await api.stop();
    await webhook.down();
    await orm.em.getConnection().execute(`drop database if exists \`${databaseName}\``).catch(() => undefined);
    await orm.close();
    await infra.stop();
  }
}

const secs = (ms: number) => Math.round(ms / 100) / 10;
