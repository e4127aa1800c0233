/** Latency summaries and the bounded pool every scenario drives its requests through. */

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Nearest-rank percentile of ascending `sorted` (0 when empty); `p` in (0, 100]. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted[sorted.length - 1] ?? 0),
  };
}

/** One decimal: enough for milliseconds and rates, and a report a person can read. */
export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Events per second over `ms` milliseconds, rounded as every rate of the report is; 0 for no time. */
export const perSecond = (count: number, ms: number) => (ms > 0 ? round((count * 1_000) / ms) : 0);

/** numerator / denominator to two decimals; 0 when there is nothing to divide by. */
export const ratioOf = (numerator: number, denominator: number) => (denominator > 0 ? Math.round((numerator / denominator) * 100) / 100 : 0);

/**
 * The values' lowest, highest and mean, and the mean's standard error (the sample's standard
 * deviation over the square root of its size; 0 for fewer than two), each to two decimals: how far
 * the mean of so many independent readings may be from the true one.
 */
export function spreadOf(values: readonly number[]): { min: number; max: number; mean: number; standardError: number } {
  const twoDecimals = (value: number) => Math.round(value * 100) / 100;
  if (values.length === 0) return { min: 0, max: 0, mean: 0, standardError: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (values.length - 1) : 0;
  return { min: Math.min(...values), max: Math.max(...values), mean: twoDecimals(mean), standardError: twoDecimals(Math.sqrt(variance / values.length)) };
}

export const elapsedMs = (startMs: number) => performance.now() - startMs;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight, starting nothing after
 * `deadlineMs` (a `performance.now()` instant). Resolves with how many tasks were started.
 * A task's own failures are its business: it must not throw.
 */
export async function runPool(count: number, concurrency: number, deadlineMs: number, task: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < count && performance.now() < deadlineMs) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return next;
}

/** Counts failures by code, so that a report says what went wrong and how often. */
export class FailureCounts {
  private readonly counts = new Map<string, number>();

  add(code: string): void {
    this.counts.set(code, (this.counts.get(code) ?? 0) + 1);
  }

  get total(): number {
    let sum = 0;
    for (const count of this.counts.values()) sum += count;
    return sum;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
