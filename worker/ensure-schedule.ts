/**
 * Creates a Temporal Schedule, or brings it up to date when it exists already. Idempotent, so
 * every worker of a fleet may call it at start: the first creates the schedule, the others update
 * its spec, action and policies, and an operator's pause (with its note) is kept.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptions, type ScheduleSpec } from '@temporalio/client';
import type { Duration, Workflow } from '@temporalio/common';

/**
 * A schedule that starts one workflow on the worker's task queue. Every one of ours has the same
 * policies: runs never overlap (SKIP), a failed run does not pause the schedule, and a run missed
 * while the cluster was down is made up for once, within `catchupWindow`.
 */
export interface WorkflowSchedule<W extends Workflow> {
  spec: ScheduleSpec;
  workflowType: W;
  args: Parameters<W>;
  /** The schedule appends the run's time, so each run has its own id. */
  workflowId: string;
  workflowExecutionTimeout: Duration;
  catchupWindow: Duration;
}

function scheduleOptions<W extends Workflow>(taskQueue: string, schedule: WorkflowSchedule<W>): Pick<ScheduleOptions, 'spec' | 'action' | 'policies'> {
  const { spec, catchupWindow, ...start } = schedule;
  return {
    spec,
    action: { type: 'startWorkflow', taskQueue, ...start },
    policies: { overlap: 'SKIP', catchupWindow, pauseOnFailure: false },
  };
}

export async function ensureSchedule<W extends Workflow>(client: Client, scheduleId: string, taskQueue: string, schedule: WorkflowSchedule<W>): Promise<'created' | 'updated'> {
  const definition = scheduleOptions(taskQueue, schedule);
  try {
    await client.schedule.create({ scheduleId, ...definition });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...definition,
    state: { paused: previous.state.paused, note: previous.state.note },
  }));
  return 'updated';
}
