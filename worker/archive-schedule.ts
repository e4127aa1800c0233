/**
 * The Temporal Schedule that runs the archive sweep (workflows/archive-sweep.ts) every five
 * minutes. Created at worker start and by `npm start`; idempotent like the reconciliation's, so
 * every worker of a fleet may call it (an operator's pause is kept).
 *
 * Five minutes because nothing waits for the archive while Temporal still holds a history (the
 * history endpoint reads Temporal first): the sweep has the whole retention period (30 days for
 * `npm start`) to catch up, and a shorter interval would only add sweep runs to the UI.
 */
import type { Client } from '@temporalio/client';
import { ensureSchedule, type WorkflowSchedule } from './ensure-schedule';
import { archiveSweepWorkflow } from '../workflows/archive-sweep';

export const ARCHIVE_SCHEDULE_ID = 'workflow-archive-sweep';

const ARCHIVE_SWEEP: WorkflowSchedule<typeof archiveSweepWorkflow> = {
  spec: { intervals: [{ every: '5m' }] },
  workflowType: archiveSweepWorkflow,
  args: [],
  workflowId: 'workflow-archive-sweep',
  workflowExecutionTimeout: '2h',
  // Sweeps never overlap; one missed while the cluster was down is made up for once.
  catchupWindow: '1h',
};

/** Creates the schedule, or updates it when it exists already (worker/ensure-schedule.ts). */
export function ensureArchiveSchedule(client: Client, taskQueue: string, scheduleId = ARCHIVE_SCHEDULE_ID): Promise<'created' | 'updated'> {
  return ensureSchedule(client, scheduleId, taskQueue, ARCHIVE_SWEEP);
}
