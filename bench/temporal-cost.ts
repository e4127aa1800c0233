/**
 * What a payout costs in Temporal, read from the histories of a sample of the run's payouts after
 * they closed: history events, workflow tasks, and Temporal Cloud's billable actions as its
 * documentation counts them (docs.temporal.io/cloud/actions, and the server's own `action`
 * metric, service/frontend telemetry interceptor):
 * - the start (update-with-start counts the start and the update apart), each accepted update,
 *   each signal received, each activity scheduled and each of its retries, each timer (a
 *   `condition` with a timeout is one), each search-attribute upsert (one that only sets
 *   `TemporalChangeVersion`, the patch's own, is free), a child workflow's start (two);
 * - markers (local activities' results and `patched()`'s markers alike): one action per workflow
 *   task that recorded any, not one per marker; a local activity's retries once more each
 *   (`meteringMetadata.nonfirstLocalActivityExecutionAttempts` of the task).
 * Not in a history, so not counted here: queries, rejected updates, activity heartbeats.
 */
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

const EventType = temporal.api.enums.v1.EventType;
/** A history is read in pages of this many events, and at most this many pages. */
const HISTORY_PAGE_SIZE = 1_000;
const HISTORY_PAGES_MAX = 20;
/** The search attribute the SDK sets for patches, which Temporal Cloud does not bill. */
const CHANGE_VERSION_KEY = 'TemporalChangeVersion';
const PAYOUT_STATUS = 'PayoutStatus';

/** One history's costs. */
export interface HistoryCost {
  events: number;
  workflowTasks: number;
  actions: number;
  /** The payout's end state (its last `PayoutStatus` upsert), or the run's close status. */
  endState: string;
  byType: Record<string, number>;
  actionsByKind: Record<string, number>;
  /** Each `patched()` marker's patch id, with how many times it was recorded. */
  patches: Record<string, number>;
}

const typeName = (event: HistoryEvent) => (EventType[event.eventType ?? 0] ?? 'UNSPECIFIED').replace(/^EVENT_TYPE_/, '');

const add = (counts: Record<string, number>, key: string, n = 1) => {
  if (n) counts[key] = (counts[key] ?? 0) + n;
};

const payloadText = (payload: temporal.api.common.v1.IPayload | null | undefined) => {
  try {
    return JSON.parse(Buffer.from(payload?.data ?? []).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
};

/** A `patched()` marker's patch id: its details hold `{"id": ..., "deprecated": ...}` (key `patch-data`). */
function patchId(marker: temporal.api.history.v1.IMarkerRecordedEventAttributes): string {
  const data = payloadText(Object.values(marker.details ?? {})[0]?.payloads?.[0]);
  return typeof data === 'object' && data !== null && 'id' in data ? String(data.id) : '?';
}

/** Counts what one closed run's history holds and what Temporal Cloud would bill for it. */
export function historyCost(events: readonly HistoryEvent[]): HistoryCost {
  const byType: Record<string, number> = {};
  const actionsByKind: Record<string, number> = {};
  const patches: Record<string, number> = {};
  const tasksWithMarkers = new Set<string>();
  let endState = 'RUNNING';
  for (const event of events) {
    const type = typeName(event);
    add(byType, type);
    switch (type) {
      case 'WORKFLOW_EXECUTION_STARTED': add(actionsByKind, 'start'); break;
      case 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED': add(actionsByKind, 'update'); break;
      case 'WORKFLOW_EXECUTION_SIGNALED': add(actionsByKind, 'signal'); break;
      case 'ACTIVITY_TASK_SCHEDULED': add(actionsByKind, 'activity'); break;
      case 'ACTIVITY_TASK_STARTED': add(actionsByKind, 'activityRetry', Math.max(0, (event.activityTaskStartedEventAttributes?.attempt ?? 1) - 1)); break;
      case 'TIMER_STARTED': add(actionsByKind, 'timer'); break;
      case 'START_CHILD_WORKFLOW_EXECUTION_INITIATED': add(actionsByKind, 'childStart', 2); break;
      case 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW': add(actionsByKind, 'continueAsNew'); break;
      case 'WORKFLOW_EXECUTION_OPTIONS_UPDATED': add(actionsByKind, 'optionsUpdate'); break;
      case 'WORKFLOW_TASK_COMPLETED':
        add(actionsByKind, 'localActivityRetry', Number(event.workflowTaskCompletedEventAttributes?.meteringMetadata?.nonfirstLocalActivityExecutionAttempts ?? 0));
        break;
      case 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
        const fields = event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
        if (Object.keys(fields).some((key) => key !== CHANGE_VERSION_KEY)) add(actionsByKind, 'upsert');
        const status = payloadText(fields[PAYOUT_STATUS]);
        if (typeof status === 'string') endState = status;
        break;
      }
      case 'MARKER_RECORDED': {
        const marker = event.markerRecordedEventAttributes;
        tasksWithMarkers.add(String(marker?.workflowTaskCompletedEventId ?? 0));
        if (marker?.markerName === 'core_patch') add(patches, patchId(marker));
        break;
      }
      default:
        if (type.startsWith('WORKFLOW_EXECUTION_') && endState === 'RUNNING' && !type.endsWith('SIGNALED')) endState = type.replace('WORKFLOW_EXECUTION_', '');
    }
  }
  add(actionsByKind, 'markerTasks', tasksWithMarkers.size);
  return {
    events: events.length,
    workflowTasks: byType.WORKFLOW_TASK_COMPLETED ?? 0,
    actions: Object.values(actionsByKind).reduce((a, b) => a + b, 0),
    endState,
    byType,
    actionsByKind,
    patches,
  };
}

/** The whole history of a workflow's latest run, raw: payloads stay as they are (encrypted). */
export async function fetchHistory(connection: Connection, namespace: string, workflowId: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < HISTORY_PAGES_MAX; page++) {
    const response = await connection.workflowService.getWorkflowExecutionHistory({ namespace, execution: { workflowId }, maximumPageSize: HISTORY_PAGE_SIZE, nextPageToken });
    events.push(...(response.history?.events ?? []));
    if (!response.nextPageToken?.length) break;
    nextPageToken = response.nextPageToken;
  }
  return events;
}

/** Mean costs of the histories of one end state, one decimal. */
export type MeanCost = Omit<HistoryCost, 'endState'> & { sampled: number };

const mean = (total: number, n: number) => Math.round((total / n) * 10) / 10;
const meanOf = (maps: Record<string, number>[]) => {
  const sums: Record<string, number> = {};
  for (const map of maps) for (const [key, n] of Object.entries(map)) add(sums, key, n);
  return Object.fromEntries(Object.entries(sums).sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => [key, mean(n, maps.length)]));
};

/** The costs of a sample of closed workflows, by end state. */
export async function sampleCosts(connection: Connection, namespace: string, workflowIds: readonly string[], sampleSize: number): Promise<Record<string, MeanCost>> {
  const step = Math.max(1, workflowIds.length / sampleSize);
  const sample = Array.from({ length: Math.min(sampleSize, workflowIds.length) }, (_, i) => workflowIds[Math.floor(i * step)]);
  const costs: HistoryCost[] = [];
  // One at a time: the run is over, and a sample is small.
  for (const workflowId of sample) costs.push(historyCost(await fetchHistory(connection, namespace, workflowId)));
  const byState = new Map<string, HistoryCost[]>();
  for (const cost of costs) byState.set(cost.endState, [...(byState.get(cost.endState) ?? []), cost]);
  return Object.fromEntries([...byState].map(([state, group]) => [state, {
    sampled: group.length,
    events: mean(group.reduce((a, c) => a + c.events, 0), group.length),
    workflowTasks: mean(group.reduce((a, c) => a + c.workflowTasks, 0), group.length),
    actions: mean(group.reduce((a, c) => a + c.actions, 0), group.length),
    byType: meanOf(group.map((c) => c.byType)),
    actionsByKind: meanOf(group.map((c) => c.actionsByKind)),
    patches: meanOf(group.map((c) => c.patches)),
  }]));
}
