/**
 * How the payout workflow calls its activities, by kind. The benchmark's ceiling (bench/ceiling-workflow.ts) uses
 * the same objects, so that both schedule identical activities and the ratio compares like with like.
 */
import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * The database writes run as local activities: in the worker that runs the workflow task, without
 * a round trip through the Temporal server to schedule and hand out an activity task. Each is one
 * short transaction, idempotent by payout id, so a retry after a crashed worker is harmless. Retries
 * are quick, unbounded in count, bounded in spacing.
 */
export const DB_ACTIVITY: LocalActivityOptions = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s' },
};

/**
 * A database write that a timer decides (the release at a deadline): the same timeout and retries,
 * as an ordinary activity, which only a workflow task that completed can schedule (workflows/payout/versions.ts).
 */
export const DB_TASK_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: DB_ACTIVITY.startToCloseTimeout,
  retry: DB_ACTIVITY.retry,
};

/** The provider may be slow or down for a while: keep trying with the same key until it answers. */
export const RAIL_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/**
 * A recharge's or a withdrawal's provider call: retried like the rail's, but never spaced more
 * than 10 s apart. The seller who got 503 retries with the same Idempotency-Key and waits up to
 * about 10 s for the answer, so a provider that comes back is tried again within that wait.
 */
export const MOVEMENT_RAIL_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' },
};

/** SPEC §5 "The edges": a card's delivery is retried for at least 3 days; then it is kept for an operator. */
export const CARD_DELIVERY_MS = 4 * 24 * 60 * 60 * 1000;
const CARD_RETRY_INTERVAL_MS_MIN = 1_000;
/**
 * The spacing never settles below this. Every card waiting for a receiver that is down is one
 * retried activity: at a spacing of 1 s, the chaos run's thousand open payouts made a thousand and
 * more activity tasks a second, which took the workers from the money (creates timed out), against
 * SPEC §5 "notifications never hold money back". At 30 s they cost a few percent of that.
 */
const CARD_RETRY_INTERVAL_MS_FLOOR = 30_000;
const CARD_RETRY_INTERVAL_MS_MAX = 5 * 60 * 1000;

/**
 * How a card's delivery is retried. The spacing between attempts grows to a thousandth of the
 * confirmation window (4 minutes with 3 days), and to 30 s at least: a receiver that comes back
 * gets its cards soon after, in proportion to how long the buyer has to act on them.
 */
export function cardDeliveryOptions(confirmWindowMs: number): ActivityOptions {
  const maximumInterval = Math.min(CARD_RETRY_INTERVAL_MS_MAX, Math.max(CARD_RETRY_INTERVAL_MS_FLOOR, Math.floor(confirmWindowMs / 1000)));
  return {
    startToCloseTimeout: '15s',
    scheduleToCloseTimeout: CARD_DELIVERY_MS,
    retry: { initialInterval: CARD_RETRY_INTERVAL_MS_MIN, backoffCoefficient: 2, maximumInterval },
  };
}
