/**
 * The Temporal Schedule that runs the ledger reconciliation every day at 02:00 China time, when
 * the fewest payouts move. Created at worker start and by `npm start`; idempotent, so every
 * worker of a fleet may call it: the first creates the schedule, the others bring it up to date
 * (an operator's pause is kept).
 */
import type { Client } from '@temporalio/client';
import { ensureSchedule, type WorkflowSchedule } from './ensure-schedule';
import { BUSINESS_TIME_ZONE } from '../domain/time';
import { reconciliationWorkflow } from '../workflows/reconciliation';

export const RECONCILIATION_SCHEDULE_ID = 'ledger-reconciliation-daily';

const DAILY_RECONCILIATION: WorkflowSchedule<typeof reconciliationWorkflow> = {
  spec: {
    calendars: [{ hour: 2, minute: 0, comment: 'daily, 02:00 Asia/Shanghai' }],
    timezone: BUSINESS_TIME_ZONE,
  },
  workflowType: reconciliationWorkflow,
  args: [{}],
  workflowId: 'ledger-reconciliation',
  // A run never overlaps the next day's.
  workflowExecutionTimeout: '23h',
  // A run missed while the cluster was down is made up for within this window, once.
  catchupWindow: '6h',
};

/** Creates the schedule, or updates it when it exists already (worker/ensure-schedule.ts). */
export function ensureReconciliationSchedule(client: Client, taskQueue: string, scheduleId = RECONCILIATION_SCHEDULE_ID): Promise<'created' | 'updated'> {
  return ensureSchedule(client, scheduleId, taskQueue, DAILY_RECONCILIATION);
}
