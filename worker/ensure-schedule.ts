/**
 * Creates a Temporal Schedule, or brings it up to date when it exists already. Idempotent, so
 * every worker of a fleet may call it at start: the first creates the schedule, the others update
 * its spec, action and policies, and an operator's pause (with its note) is kept.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleOptions } from '@temporalio/client';

export type ScheduleDefinition = Pick<ScheduleOptions, 'spec' | 'action' | 'policies'>;

export async function ensureSchedule(client: Client, scheduleId: string, definition: ScheduleDefinition): Promise<'created' | 'updated'> {
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
