/**
 * Pending: N payouts created and left awaiting confirmation (a 3-day window, as in production),
 * to see that the worker's memory stays bounded while N workflows wait: its workflow cache holds at
 * most WORKER_LIMITS.maxCachedWorkflows of them, the rest are evicted and replayed when they wake.
 *
 * The worker's resident memory is sampled during the creates (peak) and again once every workflow
 * has parked (its buyer card stored) and the worker has been idle for a while (settled).
 */
import type mysql from 'mysql2/promise';
import { WORKER_LIMITS } from '../../worker/worker';
import type { BenchArgs } from '../args';
import { connectDatabase } from '../database';
import { driveCreates, productDoor, type CreateRun } from '../drive';
import { JsonClient } from '../../test/support/json-client';
import { openMarket } from '../../test/support/http-market';
import { UsageMeter, readUsage } from '../usage';
import { atMost, type ScenarioReport } from '../report';
import { startStack } from '../stack';
import { sleep } from '../stats';
import { SELLER_PAYOUTS_MAX } from './lifecycle';

/** The production default: nothing expires while the benchmark watches. */
const CONFIRM_WINDOW = '3d';
/** How long the workflows may take to park after the last create. */
const PARK_WAIT_MS_MAX = 300_000;
const PARK_POLL_MS = 1_000;
/** Idle time before the settled reading, so that the worker's pollers and GC quiet down. */
const SETTLE_MS = 5_000;
const WORKER_RSS_MB_MAX = 1_024;

export async function pendingScenario(args: BenchArgs, deadlineMs: number): Promise<ScenarioReport> {
  const stack = await startStack({ database: args.database, keepDatabase: args.keepDatabase, confirmWindow: CONFIRM_WINDOW, worker: true, ceiling: false, profile: args.profile, temporalStore: args.temporalStore });
  const api = new JsonClient(stack.apiUrl, args.concurrency);
  const db = await connectDatabase(stack.databaseName);
  try {
    const sellers = Math.max(args.concurrency, Math.ceil(args.payouts / SELLER_PAYOUTS_MAX));
    process.stderr.write(`bench: setting up ${sellers} sellers and ${args.payouts} orders\n`);
    const market = await openMarket(api, stack.jwtSecret, { tag: stack.runId, sellers, ordersPerSeller: Math.ceil(args.payouts / sellers) });
    process.stderr.write(`bench: creating ${args.payouts} payouts at ${args.concurrency} clients, left pending\n`);
    const meter = new UsageMeter(stack.pids);
    const { result, usage } = await meter.measure(async () => {
      const run = await driveCreates(productDoor(api, market.orders, stack.runId), { first: 0, count: args.payouts, concurrency: args.concurrency, deadlineMs });
      const parked = await waitUntilParked(db, run.created, deadlineMs);
      return { run, parked };
    });
    await sleep(SETTLE_MS);
    const settledRssMb = Math.round(readUsage(stack.pids.worker)?.rssMb ?? 0);
    const awaiting = await countAwaiting(db);
    return buildReport(args, result.run, result.parked, awaiting, usage.peakRssMb, settledRssMb);
  } finally {
    api.close();
    await db.end();
    await stack.stop();
  }
}

/** Waits until every created payout's workflow has stored its buyer card, i.e. is waiting for a decision. */
async function waitUntilParked(db: mysql.Connection, created: number, deadlineMs: number): Promise<number> {
  const giveUpMs = Math.min(deadlineMs, performance.now() + PARK_WAIT_MS_MAX);
  for (;;) {
    const [rows] = await db.query<mysql.RowDataPacket[]>(`select count(*) as parked from notifications where kind = 'PAYOUT_SENT'`);
    const parked = Number(rows[0].parked);
    if (parked >= created || performance.now() > giveUpMs) return parked;
    await sleep(PARK_POLL_MS);
  }
}

async function countAwaiting(db: mysql.Connection): Promise<number> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(`select count(*) as awaiting from payouts where status = 'AWAITING_CONFIRMATION'`);
  return Number(rows[0].awaiting);
}

function buildReport(args: BenchArgs, run: CreateRun, parked: number, awaiting: number, peakRssMb: Record<string, number>, settledRssMb: number): ScenarioReport {
  const headline = {
    payouts: args.payouts,
    concurrency: args.concurrency,
    pending: awaiting,
    workerRssMb: peakRssMb.worker,
    workerRssSettledMb: settledRssMb,
    maxCachedWorkflows: WORKER_LIMITS.maxCachedWorkflows,
    createThroughputPerS: run.createsPerS,
    createP50Ms: run.createMs.p50Ms,
    createP99Ms: run.createMs.p99Ms,
    apiRssMb: peakRssMb.api,
    temporalRssMb: peakRssMb.temporal,
  };
  return {
    headline,
    targets: [atMost(`workerRssMb with ${args.payouts} pending`, headline.workerRssMb, WORKER_RSS_MB_MAX)],
    checks: {
      [`all ${args.payouts} created`]: run.created === args.payouts,
      'every created payout awaits confirmation': awaiting === run.created,
      'every workflow parked (buyer card stored)': parked >= run.created,
    },
    detail: { run, parked, peakRssMb },
    summaryLines: [
      `pending: ${awaiting} payouts awaiting confirmation; worker RSS peak ${headline.workerRssMb} MB, settled ${settledRssMb} MB (cache ${WORKER_LIMITS.maxCachedWorkflows} workflows)`,
      `creates: ${run.createsPerS}/s, p50 ${run.createMs.p50Ms} ms, p99 ${run.createMs.p99Ms} ms`,
    ],
  };
}
