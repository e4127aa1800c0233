/**
 * How the payout workflow calls its activities, by kind. The benchmark's ceiling (ceiling.ts) uses
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

/** The provider may be slow or down for a while: keep trying with the same key until it answers. */
export const RAIL_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
};

/** Cards are retried until delivered, for up to a week, without holding up the money. */
export const CARD_ACTIVITY: ActivityOptions = {
  startToCloseTimeout: '15s',
  scheduleToCloseTimeout: '7d',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m' },
};
