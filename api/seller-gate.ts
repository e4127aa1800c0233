/**
 * Fair shares between sellers (issue 12, finding 8): each seller — its main account and all its
 * sub-accounts together — has a bound on the requests it has in flight inside the API, one for
 * writes (workflow calls, ledger transactions) and one for reads. A seller that bursts past its
 * bound waits in its own queue in front of the API's work, so the workflow service, the worker and
 * the database see at most that many of its requests at a time and another seller's request goes
 * straight through instead of queueing behind the burst.
 *
 * The bounds are sized so that one seller alone still reaches the hot-seller throughput of the
 * benchmark: a seller's reservations serialise on its account row anyway (a few ms each), so eight
 * in flight keep that row busy. The queue is bounded too: past it the seller is told 429
 * `RATE_LIMITED` to come back in a second, rather than holding memory and sockets without end.
 *
 * Each seller's queue is a p-limit instance; the map of them holds only sellers with requests in
 * flight or queued (idle ones are swept), so it is bounded by the requests the server holds.
 */
import pLimit from 'p-limit';
import { DomainError } from '../domain/errors';
import { withDefaults } from './options';

export type GateKind = 'write' | 'read';

export interface SellerGateOptions {
  /** A seller's writes in flight at once; more wait in its queue. */
  writesInFlightMax: number;
  /** A seller's reads in flight at once. */
  readsInFlightMax: number;
  /** Requests of one kind one seller may have waiting; past it, 429. */
  queuedMax: number;
}

export const SELLER_WRITES_IN_FLIGHT_MAX = 8;
export const SELLER_READS_IN_FLIGHT_MAX = 8;
/** Above the benchmark's hot seller, which fires 1,100 creates at once. */
export const SELLER_QUEUED_MAX = 2_000;
/** Idle sellers' queues are swept once the map holds this many. */
const SELLERS_TRACKED_SWEEP_AT = 1_000;
const RETRY_AFTER_S = 1;

export const DEFAULT_SELLER_GATE: SellerGateOptions = {
  writesInFlightMax: SELLER_WRITES_IN_FLIGHT_MAX,
  readsInFlightMax: SELLER_READS_IN_FLIGHT_MAX,
  queuedMax: SELLER_QUEUED_MAX,
};

type Limit = ReturnType<typeof pLimit>;

export class SellerGate {
  private readonly options: SellerGateOptions;
  private readonly limits = new Map<string, Limit>();

  constructor(options: Partial<SellerGateOptions> = {}) {
    this.options = withDefaults(DEFAULT_SELLER_GATE, options);
    for (const [name, value] of Object.entries(this.options)) {
      if (!(Number.isInteger(value) && value >= 1)) throw new Error(`seller gate ${name} must be a positive integer, got ${value}`);
    }
  }

  /** Runs `work` once the seller has a free slot of this kind; refuses when its queue is full. */
  async run<T>(sellerId: string, kind: GateKind, work: () => Promise<T>): Promise<T> {
    const limit = this.limitOf(`${kind}:${sellerId}`, kind);
    if (limit.pendingCount >= this.options.queuedMax) {
      throw new DomainError('RATE_LIMITED', `too many requests of this seller in flight; retry in ${RETRY_AFTER_S} s`, { retryAfterSeconds: RETRY_AFTER_S });
    }
    return limit(work);
  }

  /** How many sellers' queues are held (for tests of the sweep). */
  get size(): number {
    return this.limits.size;
  }

  private limitOf(key: string, kind: GateKind): Limit {
    let limit = this.limits.get(key);
    if (!limit) {
      if (this.limits.size >= SELLERS_TRACKED_SWEEP_AT) this.sweepIdle();
      limit = pLimit(kind === 'write' ? this.options.writesInFlightMax : this.options.readsInFlightMax);
      this.limits.set(key, limit);
    }
    return limit;
  }

  private sweepIdle(): void {
    for (const [key, limit] of this.limits) {
      if (limit.activeCount === 0 && limit.pendingCount === 0) this.limits.delete(key);
    }
  }
}
