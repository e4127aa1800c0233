/**
 * The Temporal Schedule that runs the ledger reconciliation every day at 02:00 China time, when
 * the fewest payouts move. Created at worker start and by `npm start`; idempotent, so every
 * worker of a fleet may call it: the first creates the schedule, the others bring it up to date
 * (an operator's pause is kept).
 */
import { type Client, type ScheduleOptionsStartWorkflowAction, type ScheduleSpec } from '@temporalio/client';
import { ensureSchedule } from './ensure-schedule';
import { BUSINESS_TIME_ZONE } from '../domain/time';
import { reconciliationWorkflow } from '../workflows/reconciliation';

export const RECONCILIATION_SCHEDULE_ID = 'ledger-reconciliation-daily';

const SPEC: ScheduleSpec = {
  calendars: [{ hour: 2, minute: 0, comment: 'daily, 02:00 Asia/Shanghai' }],
  timezone: BUSINESS_TIME_ZONE,
};

/** A run missed while the cluster was down is made up for within this window, once (overlap SKIP). */
const POLICIES = { overlap: 'SKIP', catchupWindow: '6h', pauseOnFailure: false } as const;

function action(taskQueue: string): ScheduleOptionsStartWorkflowAction<typeof reconciliationWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: reconciliationWorkflow,
    taskQueue,
    args: [{}],
    // The schedule appends the run's time, so each day's run has its own id.
    workflowId: 'ledger-reconciliation',
    // A run never overlaps the next day's.
    workflowExecutionTimeout: '23h',
  };
}

/** Creates the schedule, or updates it when it exists already (worker/ensure-schedule.ts). */
export function ensureReconciliationSchedule(client: Client, taskQueue: string, scheduleId = RECONCILIATION_SCHEDULE_ID): Promise<'created' | 'updated'> {
  return ensureSchedule(client, scheduleId, { spec: SPEC, action: action(taskQueue), policies: POLICIES });
}
