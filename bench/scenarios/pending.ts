/**
 * Pending (issue 18, target 5): N payouts created and left awaiting confirmation (a 3-day window,
 * as in production), spread over enough sellers that no daily cap refuses one, to see that nothing
 * degrades while N workflows wait:
 * - the worker's memory stays bounded: its workflow cache holds at most
 *   WORKER_LIMITS.maxCachedWorkflows of them, the rest are evicted and replayed when they wake;
 * - the create rate at the end (the last tenth of the creates) is that of the start (the first
 *   tenth), with every payout before it still open;
 * - the oldest pending payout, long evicted, is confirmed by its buyer and reads PAID within a
 *   second, as a buyer who confirms on the third day would see it;
 * - what Temporal and MariaDB hold for them, in memory and on disk, is reported.
 *
 * The processes' resident memory is sampled during the creates (peak) and again once every workflow
 * has parked (its buyer card stored) and the worker has been idle for a while (settled).
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { WORKER_LIMITS } from '../../worker/worker';
import type { BenchArgs } from '../args';
import { connectDatabase } from '../database';
import { driveCreates, productDoor, waitUntilPaid, type CreateRun, type PayoutDoor } from '../drive';
import { HttpFailure, JsonClient } from '../../test/support/json-client';
import { openMarket, type Market } from '../../test/support/http-market';
import { UsageMeter, cpuBetweenMarks, cpuMark, readUsage, type CpuBetweenMarks, type CpuMark } from '../usage';
import { atLeast, atMost, type ScenarioReport } from '../report';
import { startStack, type BenchStack } from '../stack';
import { elapsedMs, ratioOf, round, sleep } from '../stats';
import { SELLER_PAYOUTS_MAX } from './lifecycle';

/** The production default: nothing expires while the benchmark watches. */
const CONFIRM_WINDOW = '3d';
/** At least this many sellers (issue 18), each below the daily count cap with a margin (SELLER_PAYOUTS_MAX). */
const SELLERS_MIN = 100;
/** How long the workflows may take to park after the last create. */
const PARK_WAIT_MS_MAX = 300_000;
const PARK_POLL_MS = 1_000;
/** Idle time before the settled reading, so that the worker's pollers and GC quiet down. */
const SETTLE_MS = 5_000;
/** The share of the creates, first and last, whose rates are compared. */
const RATE_WINDOW_SHARE = 0.1;
/** Issue 18's targets. */
const WORKER_RSS_MB_MAX = 1_024;
const CREATE_RATE_END_VS_START_MIN = 0.9;
const OLDEST_CONFIRM_TO_PAID_MS_MAX = 1_000;
const BYTES_PER_MB = 2 ** 20;

/** The processes whose memory the report shows beside the worker's. */
const FOOTPRINT_PROCESSES = ['worker', 'api', 'temporal', 'mariadb'] as const;

interface OldestConfirm {
  payoutId: string;
  createdAt: string;
  /** From sending the confirm to its answer, and to the first read that said PAID (or the failure). */
  confirmAnswerMs: number;
  confirmToPaidMs: number;
  /** `PAID`, or the code of what went wrong (ENDED_<status>, PAID_WAIT_EXCEEDED, an HTTP error's code). */
  outcome: string;
}

interface Disk {
  /** The dev server's SQLite file(s) with `--temporal-store file`; null when in memory or reused. */
  temporalStoreMb: number | null;
  /** The bench database's tables, data and indexes (InnoDB's own accounting), and each table's. */
  mariadbDatabaseMb: number;
  mariadbTablesMb: Record<string, number>;
}

export async function pendingScenario(args: BenchArgs, deadlineMs: number): Promise<ScenarioReport> {
  const stack = await startStack({ database: args.database, keepDatabase: args.keepDatabase, confirmWindow: CONFIRM_WINDOW, worker: true, ceiling: false, profile: args.profile, temporalStore: args.temporalStore });
  const api = new JsonClient(stack.apiUrl, args.concurrency);
  const db = await connectDatabase(stack.databaseName);
  try {
    const sellers = Math.max(SELLERS_MIN, args.concurrency, Math.ceil(args.payouts / SELLER_PAYOUTS_MAX));
    log(`setting up ${sellers} sellers and ${args.payouts} orders`);
    const market = await openMarket(api, stack.jwtSecret, { tag: stack.runId, sellers, ordersPerSeller: Math.ceil(args.payouts / sellers) });
    const door = productDoor(api, market.orders, stack.runId);
    const answeredAtMs: number[] = [];
    const marks: CpuMark[] = [];
    // Each process's CPU at the first answer and at every tenth, for the rate and cost of each tenth.
    const markEvery = Math.max(1, Math.floor(args.payouts * RATE_WINDOW_SHARE));
    const onAnswer = (answers: number) => {
      if (answers === 1 || answers % markEvery === 0) marks.push(cpuMark(stack.pids, FOOTPRINT_PROCESSES, answers));
    };
    log(`creating ${args.payouts} payouts at ${args.concurrency} clients, left pending`);
    const { result, usage } = await new UsageMeter(stack.pids).measure(async () => {
      const run = await driveCreates(timedDoor(door, answeredAtMs, onAnswer), { first: 0, count: args.payouts, concurrency: args.concurrency, deadlineMs });
      const parked = await waitUntilParked(db, run.created, deadlineMs);
      return { run, parked };
    });
    await sleep(SETTLE_MS);
    const settledRssMb = Object.fromEntries(FOOTPRINT_PROCESSES.map((name) => [name, settledRss(stack, name)]));
    const awaiting = await countAwaiting(db);
    log('confirming the oldest pending payout');
    const oldest = await confirmOldest(db, door, market, args.pollIntervalMs);
    const disk = await diskFootprint(db, stack);
    return buildReport({ args, sellers, run: result.run, parked: result.parked, awaiting, answeredAtMs, byTenth: cpuBetweenMarks(marks), peakRssMb: usage.peakRssMb, settledRssMb, oldest, disk });
  } finally {
    api.close();
    await db.end();
    await stack.stop();
  }
}

const log = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** The door, noting when each create was answered (in answer order), for the rates at the start and the end. */
function timedDoor(door: PayoutDoor, answeredAtMs: number[], onAnswer: (answers: number) => void): PayoutDoor {
  return {
    ...door,
    async create(index) {
      const id = await door.create(index);
      answeredAtMs.push(performance.now());
      onAnswer(answeredAtMs.length);
      return id;
    },
  };
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

const settledRss = (stack: BenchStack, name: string) => {
  const pid = stack.pids[name];
  return pid ? Math.round(readUsage(pid)?.rssMb ?? 0) : 0;
};

/**
 * Creates per second over the first and the last `RATE_WINDOW_SHARE` of the answers, each from its
 * first answer to its last (so that neither counts the time before the first answer came back).
 */
function createRates(answeredAtMs: readonly number[]): { start: number; end: number; endVsStart: number } {
  const n = Math.floor(answeredAtMs.length * RATE_WINDOW_SHARE);
  if (n < 2) return { start: 0, end: 0, endVsStart: 0 };
  const rate = (fromMs: number, toMs: number) => (toMs > fromMs ? ((n - 1) * 1_000) / (toMs - fromMs) : 0);
  const start = rate(answeredAtMs[0], answeredAtMs[n - 1]);
  const end = rate(answeredAtMs[answeredAtMs.length - n], answeredAtMs[answeredAtMs.length - 1]);
  return { start: round(start), end: round(end), endVsStart: ratioOf(end, start) };
}

/**
 * The oldest payout still awaiting confirmation, confirmed by its buyer through the API (as the
 * lifecycle scenario's door does) and read by its seller until PAID, on the same cadence and bound
 * (drive.ts). Its workflow has long left the worker's cache: the confirm replays it.
 */
async function confirmOldest(db: mysql.Connection, door: PayoutDoor, market: Market, pollIntervalMs: number): Promise<OldestConfirm | undefined> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `select id, order_id as orderId, created_at as createdAt from payouts where status = 'AWAITING_CONFIRMATION' order by created_at, id limit 1`,
  );
  if (rows.length === 0) return undefined;
  const { id, orderId, createdAt } = rows[0] as { id: string; orderId: string; createdAt: Date };
  const index = market.orders.findIndex((order) => order.orderId === orderId);
  if (index < 0) return { payoutId: id, createdAt: createdAt.toISOString(), confirmAnswerMs: 0, confirmToPaidMs: 0, outcome: 'NOT_THE_RUNS_ORDER' };
  const startMs = performance.now();
  let confirmAnswerMs = 0;
  let outcome = 'PAID';
  try {
    await door.confirm(index, id);
    confirmAnswerMs = round(elapsedMs(startMs));
    await waitUntilPaid(door, index, id, pollIntervalMs);
  } catch (err) {
    outcome = err instanceof HttpFailure ? err.code : `CLIENT_${(err as Error)?.name ?? 'ERROR'}`;
  }
  return { payoutId: id, createdAt: createdAt.toISOString(), confirmAnswerMs, confirmToPaidMs: round(elapsedMs(startMs)), outcome };
}

/** What the run left on disk: the Temporal store's file(s) and the bench database's tables. */
async function diskFootprint(db: mysql.Connection, stack: BenchStack): Promise<Disk> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `select table_name as name, data_length + index_length as bytes from information_schema.TABLES where table_schema = ? order by bytes desc`,
    [stack.databaseName],
  );
  const tables = rows.map((row) => ({ name: String(row.name), bytes: Number(row.bytes) }));
  const mb = (bytes: number) => round(bytes / BYTES_PER_MB);
  return {
    temporalStoreMb: stack.temporalDbFile ? mb(sqliteBytes(stack.temporalDbFile)) : null,
    mariadbDatabaseMb: mb(tables.reduce((sum, table) => sum + table.bytes, 0)),
    mariadbTablesMb: Object.fromEntries(tables.map((table) => [table.name, mb(table.bytes)])),
  };
}

/** A SQLite database's size on disk: its file and the -wal and -shm files beside it. */
function sqliteBytes(file: string): number {
  const dir = path.dirname(file);
  const base = path.basename(file);
  return readdirSync(dir)
    .filter((name) => name.startsWith(base))
    .reduce((sum, name) => sum + statSync(path.join(dir, name)).size, 0);
}

interface Measured {
  args: BenchArgs;
  sellers: number;
  run: CreateRun;
  parked: number;
  awaiting: number;
  answeredAtMs: readonly number[];
  byTenth: CpuBetweenMarks[];
  peakRssMb: Record<string, number>;
  settledRssMb: Record<string, number>;
  oldest: OldestConfirm | undefined;
  disk: Disk;
}

function buildReport(m: Measured): ScenarioReport {
  const { args, run, oldest, disk } = m;
  const rates = createRates(m.answeredAtMs);
  const headline = {
    payouts: args.payouts,
    concurrency: args.concurrency,
    sellers: m.sellers,
    pending: m.awaiting,
    workerRssMb: m.peakRssMb.worker,
    workerRssSettledMb: m.settledRssMb.worker,
    maxCachedWorkflows: WORKER_LIMITS.maxCachedWorkflows,
    createThroughputPerS: run.createsPerS,
    createsPerSFirstTenth: rates.start,
    createsPerSLastTenth: rates.end,
    createRateEndVsStart: rates.endVsStart,
    createP50Ms: run.createMs.p50Ms,
    createP99Ms: run.createMs.p99Ms,
    oldestConfirmToPaidMs: oldest?.confirmToPaidMs ?? null,
    oldestOutcome: oldest?.outcome ?? 'NONE_PENDING',
    apiRssMb: m.peakRssMb.api,
    temporalRssMb: m.peakRssMb.temporal ?? null,
    temporalRssSettledMb: m.settledRssMb.temporal || null,
    mariadbRssMb: m.peakRssMb.mariadb ?? null,
    mariadbRssSettledMb: m.settledRssMb.mariadb || null,
    temporalStoreMb: disk.temporalStoreMb,
    mariadbDatabaseMb: disk.mariadbDatabaseMb,
  };
  return {
    headline,
    targets: [
      atMost(`workerRssMb with ${args.payouts} pending`, headline.workerRssMb, WORKER_RSS_MB_MAX),
      atLeast('createRateEndVsStart (last tenth / first tenth)', rates.endVsStart, CREATE_RATE_END_VS_START_MIN),
      atMost('oldestConfirmToPaidMs', oldest?.confirmToPaidMs ?? Number.POSITIVE_INFINITY, OLDEST_CONFIRM_TO_PAID_MS_MAX),
    ],
    checks: {
      [`all ${args.payouts} created`]: run.created === args.payouts,
      'every created payout awaits confirmation': m.awaiting === run.created,
      'every workflow parked (buyer card stored)': m.parked >= run.created,
      'the oldest pending payout, confirmed by its buyer, reads PAID': oldest?.outcome === 'PAID',
    },
    detail: { run, parked: m.parked, peakRssMb: m.peakRssMb, settledRssMb: m.settledRssMb, oldest, disk, rateWindowShare: RATE_WINDOW_SHARE, byTenth: m.byTenth },
    summaryLines: [
      `pending: ${m.awaiting} payouts awaiting confirmation over ${m.sellers} sellers; worker RSS peak ${headline.workerRssMb} MB, settled ${headline.workerRssSettledMb} MB (cache ${WORKER_LIMITS.maxCachedWorkflows} workflows)`,
      `creates: ${run.createsPerS}/s, p50 ${run.createMs.p50Ms} ms, p99 ${run.createMs.p99Ms} ms; first tenth ${rates.start}/s, last tenth ${rates.end}/s (x${rates.endVsStart})`,
      ...m.byTenth.map((tenth) => `  to create ${tenth.count}: ${tenth.perS}/s, CPU per create ${Object.entries(tenth.cpuMsEach).map(([name, ms]) => `${name} ${ms} ms`).join(', ')}`),
      `the oldest pending payout (${oldest?.createdAt ?? 'none'}): confirm → ${headline.oldestOutcome} in ${headline.oldestConfirmToPaidMs} ms`,
      `Temporal: RSS peak ${headline.temporalRssMb} MB, settled ${headline.temporalRssSettledMb} MB, store ${disk.temporalStoreMb ?? '(in memory)'} MB; MariaDB: RSS peak ${headline.mariadbRssMb} MB, settled ${headline.mariadbRssSettledMb} MB, bench database ${disk.mariadbDatabaseMb} MB`,
    ],
  };
}
