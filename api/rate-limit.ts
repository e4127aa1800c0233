/**
 * A per-principal rate limit on writes: one token bucket per principal, in memory.
 *
 * The bucket holds up to `burst` tokens and refills at `refillPerSecond`; each write takes one. A
 * principal with an empty bucket is refused with 429 `RATE_LIMITED` and told, in `Retry-After`,
 * how many whole seconds until a token is back. The limit is per process: behind several API
 * replicas a principal gets the limit once per replica, which is enough to stop one client from
 * flooding the reserve transactions, not a billing-grade quota.
 *
 * The map of buckets is bounded (`principalsMax`): past the bound the least recently seen principal
 * is forgotten. A forgotten principal starts again with a full bucket, which is what it would have
 * after a pause anyway; only principals holding valid tokens reach the limiter, so an attacker
 * cannot mint principals to flush the map.
 */
import { principalKey } from './auth';
import type { Role } from './spec';
import { withDefaults } from './options';

/** The default burst: existing clients fire ~30 concurrent writes from one seller; they must never be limited. */
export const WRITE_BURST_MAX = 50;
/** The default sustained rate, per principal. */
export const WRITE_REFILL_PER_S = 20;
/**
 * The trade system is one principal that pushes every order of the marketplace; it gets a wider
 * bucket so that order updates are not throttled like one seller's clicks.
 */
export const SYSTEM_WRITE_BURST_MAX = 1_000;
export const SYSTEM_WRITE_REFILL_PER_S = 500;
/** How many principals' buckets are kept at most. */
export const PRINCIPALS_TRACKED_MAX = 10_000;

export interface BucketLimits {
  burst: number;
  refillPerSecond: number;
}

export interface RateLimitOptions extends BucketLimits {
  /** Wider or narrower limits for some roles; the others use `burst` and `refillPerSecond`. */
  byRole: Partial<Record<Role, BucketLimits>>;
  principalsMax: number;
  /** Milliseconds; injectable so that tests need not wait. */
  now: () => number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = {
  burst: WRITE_BURST_MAX,
  refillPerSecond: WRITE_REFILL_PER_S,
  byRole: { system: { burst: SYSTEM_WRITE_BURST_MAX, refillPerSecond: SYSTEM_WRITE_REFILL_PER_S } },
  principalsMax: PRINCIPALS_TRACKED_MAX,
  now: () => Date.now(),
};

export type Admission = { allowed: true } | { allowed: false; retryAfterS: number };

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export class RateLimiter {
  private readonly options: RateLimitOptions;
  /** Insertion order is recency order: a principal seen again is moved to the end. */
  private readonly buckets = new Map<string, Bucket>();

  constructor(options: Partial<RateLimitOptions> = {}) {
    this.options = withDefaults(DEFAULT_RATE_LIMIT, options);
    for (const limits of [this.options, ...Object.values(this.options.byRole)]) {
      if (!(limits.burst >= 1 && limits.refillPerSecond > 0)) throw new Error(`rate limit needs burst >= 1 and refillPerSecond > 0, got ${JSON.stringify(limits)}`);
    }
    if (!(Number.isInteger(this.options.principalsMax) && this.options.principalsMax >= 1)) throw new Error('principalsMax must be a positive integer');
  }

  /** Takes one token from the principal's bucket, or says how long to wait for one. */
  take(principal: { id: string; role: Role; sellerId?: string | null }): Admission {
    const { burst, refillPerSecond } = this.options.byRole[principal.role] ?? this.options;
    // Role and seller are part of the key: ids of different roles come from different systems, and
    // two sellers may name their sub-accounts alike.
    const key = principalKey({ sellerId: null, ...principal });
    const nowMs = this.options.now();
    const previous = this.buckets.get(key);
    const elapsedS = previous ? Math.max(0, nowMs - previous.updatedMs) / 1_000 : 0;
    const tokens = previous ? Math.min(burst, previous.tokens + elapsedS * refillPerSecond) : burst;
    this.remember(key, { tokens: tokens >= 1 ? tokens - 1 : tokens, updatedMs: nowMs });
    if (tokens >= 1) return { allowed: true };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / refillPerSecond)) };
  }

  /** How many principals are tracked (for tests of the bound). */
  get size(): number {
    return this.buckets.size;
  }

  private remember(key: string, bucket: Bucket): void {
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.options.principalsMax) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
  }
}
