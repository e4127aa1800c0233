/**
 * Drives payouts through an HTTP door, the product's or the ceiling's, and times each step as a
 * client sees it: create → confirm → polled until `PAID`.
 */
import { HttpFailure, type JsonClient } from '../test/support/json-client';
import type { OrderRef } from '../test/support/http-market';
import { PAYOUT_AMOUNT_FEN } from '../test/support/http-market';
import { FailureCounts, elapsedMs, perSecond, round, runPool, sleep, summarize, type LatencySummary } from './stats';

/** A confirmed payout not paid within this is counted as failed, so that a stuck one cannot stall the run. */
const PAID_WAIT_MS_MAX = 60_000;
const TERMINAL = new Set(['PAID', 'FAILED', 'EXPIRED', 'DECLINED', 'CANCELLED']);
const PAYOUT_BODY = { reason: 'PRICE_DIFFERENCE', note: 'bench', amount: PAYOUT_AMOUNT_FEN } as const;

/** Where payouts are created, confirmed and read: the product's API or the ceiling's. */
export interface PayoutDoor {
  create(index: number): Promise<string>;
  confirm(index: number, payoutId: string): Promise<void>;
  status(index: number, payoutId: string): Promise<string>;
}

/** The product's API: the seller (or one of its operators) creates, the buyer confirms, the seller reads. */
export function productDoor(api: JsonClient, orders: readonly OrderRef[], keyPrefix: string): PayoutDoor {
  return {
    async create(index) {
      const { orderId, seller } = orders[index];
      // Operators take turns, so a hot seller's creates come from many principals (see hot-seller.ts).
      const token = seller.operatorTokens[index % seller.operatorTokens.length];
      const body = await api.expect(201, 'POST', '/v1/payouts', { token, body: { ...PAYOUT_BODY, orderId }, headers: { 'idempotency-key': `${keyPrefix}-${index}` } });
      return (body as { id: string }).id;
    },
    async confirm(index, payoutId) {
      // 202: no worker answered within 2 s, and the decision was recorded as a signal (SPEC §5); it is paid all the same.
      await api.expect([200, 202], 'POST', `/v1/payouts/${payoutId}/confirm`, { token: orders[index].seller.buyerToken });
    },
    async status(index, payoutId) {
      const body = await api.expect(200, 'GET', `/v1/payouts/${payoutId}`, { token: orders[index].seller.operatorTokens[0] });
      return (body as { status: string }).status;
    },
  };
}

/** The ceiling's minimal API (bench/ceiling-api.ts). */
export function ceilingDoor(api: JsonClient, keyPrefix: string): PayoutDoor {
  return {
    async create(index) {
      const body = await api.expect(201, 'POST', '/ceiling/payouts', { body: { ...PAYOUT_BODY, orderId: `${keyPrefix}-${index}` } });
      return (body as { id: string }).id;
    },
    async confirm(_index, payoutId) {
      await api.expect(200, 'POST', `/ceiling/payouts/${payoutId}/confirm`);
    },
    async status(_index, payoutId) {
      const body = await api.expect(200, 'GET', `/ceiling/payouts/${payoutId}`);
      return (body as { status: string }).status;
    },
  };
}

export interface DriveOptions {
  /** Payout i of the run uses the door's index `first + i` (its order, for the product). */
  first: number;
  count: number;
  concurrency: number;
  /** No payout is started after this `performance.now()` instant. */
  deadlineMs: number;
  /** Lifecycles: the cadence of the reads of a confirmed payout, waiting for PAID (waitUntilPaid). */
  pollIntervalMs?: number;
}

export interface LifecycleRun {
  completed: number;
  failures: Record<string, number>;
  wallMs: number;
  throughputPerS: number;
  createMs: LatencySummary;
  confirmToPaidMs: LatencySummary;
  lifecycleMs: LatencySummary;
  pollsPerLifecycle: number;
  /** Each status read, from its request to its answer. */
  statusReadMs: LatencySummary;
  /**
   * The share of status reads answered within the poll interval. Below 1, the cadence was not
   * kept: a door whose reads answer sooner is read more often, and pays for the reads it was given.
   */
  readsOnCadenceShare: number;
}

const codeOf = (err: unknown) => (err instanceof HttpFailure ? err.code : `CLIENT_${(err as Error)?.name ?? 'ERROR'}`);

/** Collects the lifecycles of one door over one or more blocks of driving. */
export class LifecycleRecorder {
  private readonly create: number[] = [];
  private readonly confirmToPaid: number[] = [];
  private readonly lifecycle: number[] = [];
  private readonly failures = new FailureCounts();
  private readonly reads: number[] = [];
  private wallMs = 0;

  constructor(private readonly pollIntervalMs = 0) {}

  record(createMs: number, confirmToPaidMs: number, readsMs: readonly number[]): void {
    this.create.push(createMs);
    this.confirmToPaid.push(confirmToPaidMs);
    this.lifecycle.push(createMs + confirmToPaidMs);
    this.reads.push(...readsMs);
  }

  fail(err: unknown): void {
    this.failures.add(codeOf(err));
  }

  addWall(ms: number): void {
    this.wallMs += ms;
  }

  get completed(): number {
    return this.lifecycle.length;
  }

  /** The time spent driving so far, over every block. */
  get drivenMs(): number {
    return this.wallMs;
  }

  summary(): LifecycleRun {
    const completed = this.lifecycle.length;
    return {
      completed,
      failures: this.failures.toJSON(),
      wallMs: Math.round(this.wallMs),
      throughputPerS: perSecond(completed, this.wallMs),
      createMs: summarize(this.create),
      confirmToPaidMs: summarize(this.confirmToPaid),
      lifecycleMs: summarize(this.lifecycle),
      pollsPerLifecycle: completed ? round(this.reads.length / completed) : 0,
      statusReadMs: summarize(this.reads),
      readsOnCadenceShare: this.reads.length ? round(this.reads.filter((ms) => ms <= this.pollIntervalMs).length / this.reads.length) : 0,
    };
  }
}

/** Full lifecycles, `concurrency` clients each running one after another: create, confirm, poll until PAID. */
export async function driveLifecycles(door: PayoutDoor, options: DriveOptions, recorder = new LifecycleRecorder(options.pollIntervalMs)): Promise<LifecycleRecorder> {
  const startMs = performance.now();
  await runPool(options.count, options.concurrency, options.deadlineMs, async (i) => {
    const index = options.first + i;
    try {
      const t0 = performance.now();
      const payoutId = await door.create(index);
      const t1 = performance.now();
      await door.confirm(index, payoutId);
      const readsMs = await waitUntilPaid(door, index, payoutId, options.pollIntervalMs ?? 0);
      recorder.record(t1 - t0, performance.now() - t1, readsMs);
    } catch (err) {
      recorder.fail(err);
    }
  });
  recorder.addWall(elapsedMs(startMs));
  return recorder;
}

/**
 * Reads the payout on a fixed cadence, one read every `intervalMs` from the confirm's answer (the
 * next read at once when one took longer), until it is PAID; answers how long each read took. A
 * fixed cadence gives both doors the same read rate whatever each read costs, as long as reads
 * answer within it: a pause after each answer would make a door with quicker reads read more
 * often, and pay for it; so does a cadence the reads cannot keep (LifecycleRun.readsOnCadenceShare).
 */
export async function waitUntilPaid(door: PayoutDoor, index: number, payoutId: string, intervalMs: number): Promise<number[]> {
  const startMs = performance.now();
  const giveUpMs = startMs + PAID_WAIT_MS_MAX;
  const readsMs: number[] = [];
  for (;;) {
    const readStartMs = performance.now();
    const status = await door.status(index, payoutId);
    readsMs.push(performance.now() - readStartMs);
    if (status === 'PAID') return readsMs;
    if (TERMINAL.has(status)) throw new HttpFailure(200, `ENDED_${status}`, `payout ${payoutId} ended ${status}`);
    if (performance.now() > giveUpMs) throw new HttpFailure(0, 'PAID_WAIT_EXCEEDED', `payout ${payoutId} not paid within ${PAID_WAIT_MS_MAX} ms`);
    await sleep(Math.max(0, startMs + readsMs.length * intervalMs - performance.now()));
  }
}

/** The kept cadence is a multiple of this. */
const CADENCE_STEP_MS = 50;
const CADENCE_MAX_MS = 1_000;

/**
 * The cadence both doors keep: the slower door's status read p95 in the warm-up, rounded up to
 * CADENCE_STEP_MS, and never below `floorMs` nor above a second. waitUntilPaid reads both doors
 * alike only while their reads answer within its cadence (bench/README.md, lifecycle, says what a
 * cadence one door cannot keep did to the ratio). Found from the warm-up, before the measured
 * blocks, so that the figures it decides cannot choose it.
 */
export function keptCadenceMs(floorMs: number, warmupReadP95Ms: readonly number[]): number {
  const slowest = Math.max(0, ...warmupReadP95Ms);
  return Math.min(CADENCE_MAX_MS, Math.max(floorMs, Math.ceil(slowest / CADENCE_STEP_MS) * CADENCE_STEP_MS));
}

export interface CreateRun {
  created: number;
  /** Final outcomes by SPEC code (`CREATED` for a 201). */
  outcomes: Record<string, number>;
  /** 503s and timeouts retried with the same Idempotency-Key, as the API asks clients to. */
  retries: number;
  wallMs: number;
  createsPerS: number;
  /** From the first attempt to the final answer, retries included. */
  createMs: LatencySummary;
}

/** What a client retries with the same Idempotency-Key: a 503, or no answer in time (see REQUEST_TIMEOUT_MS). */
const isRetryable = (err: unknown) => err instanceof HttpFailure && (err.status === 503 || err.code === 'CLIENT_TIMEOUT' || err.code === 'TRANSPORT');

/** A client retries at most this many times, after this pause. */
const UNAVAILABLE_RETRIES_MAX = 10;
const UNAVAILABLE_RETRY_WAIT_MS = 100;

/**
 * Creates only (payouts are left awaiting confirmation); `concurrency = count` fires them all at
 * once. A 503 (the workflow did not answer within the API's deadline) or a request that timed out
 * is retried with the same Idempotency-Key, which joins the payout already under way: the API's
 * contract for it.
 */
export async function driveCreates(door: PayoutDoor, options: DriveOptions): Promise<CreateRun> {
  const latencies: number[] = [];
  const outcomes = new FailureCounts();
  let retries = 0;
  const startMs = performance.now();
  await runPool(options.count, options.concurrency, options.deadlineMs, async (i) => {
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await door.create(options.first + i);
        latencies.push(performance.now() - t0);
        return outcomes.add('CREATED');
      } catch (err) {
        if (!isRetryable(err) || attempt >= UNAVAILABLE_RETRIES_MAX) return outcomes.add(codeOf(err));
        retries++;
        await sleep(UNAVAILABLE_RETRY_WAIT_MS);
      }
    }
  });
  const wallMs = elapsedMs(startMs);
  return {
    created: latencies.length,
    outcomes: outcomes.toJSON(),
    retries,
    wallMs: Math.round(wallMs),
    createsPerS: round((latencies.length * 1_000) / wallMs),
    createMs: summarize(latencies),
  };
}
