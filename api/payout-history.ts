/**
 * A payout's audit trail (SPEC §7): its workflow history, summarised event by event: what happened,
 * when, and for updates and signals who sent them (the `actor` argument of the decision).
 *
 * The history comes from Temporal while Temporal keeps it, and from the archive afterwards (or while
 * Temporal does not answer). Either way it is first put in the decoded JSON form of
 * audit/decoded-history.ts: read raw from Temporal, its payloads and failure messages arrive
 * encrypted, and are decrypted there with the client's data converter (codec/payload-codec.ts),
 * whatever key of PAYLOAD_KEYS they were written with. One summariser reads that form, so both
 * sources answer in the same shape.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { EntityManager } from '@mikro-orm/mysql';
import { decodeHistory, type DecodedEvent } from '../audit/decoded-history';
import { archivedRun } from '../db/audit/archive';
import { DomainError } from '../domain/errors';
import { isTransientGrpcError, isWorkflowNotFound } from '../temporal/grpc-status';
import type { Schemas } from './types';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** The most events one answer summarises; a payout's history holds a few dozen. */
export const HISTORY_EVENTS_MAX = 500;
const HISTORY_PAGE_SIZE = 100;
/** Pages may come back shorter than asked (size limits): the loop is bounded on its own. */
const HISTORY_PAGES_MAX = 10;
/** How long the request waits for Temporal before answering 503. */
const HISTORY_DEADLINE_MS = 10_000;
/** A detail is a short account, not a dump of the payload. */
const DETAIL_LENGTH_MAX = 200;

export type PayoutHistorySummary = Omit<Schemas['PayoutHistory'], 'payoutId'>;

/** The history from Temporal while it has it, else from the archive; 404 when neither has it. */
export async function workflowHistory(client: Client, em: EntityManager, workflowId: string): Promise<PayoutHistorySummary> {
  let unavailable: DomainError | undefined;
  try {
    const fetched = await client.withDeadline(Date.now() + HISTORY_DEADLINE_MS, () => fetchEvents(client, workflowId));
    const events = await decodeHistory(client.options.loadedDataConverter, fetched.events);
    return { workflowId, source: 'temporal', events: summarise(events), truncated: fetched.truncated };
  } catch (err) {
    if (isTransientGrpcError(err)) {
      unavailable = new DomainError('SERVICE_UNAVAILABLE', 'the workflow service did not answer in time');
    } else if (!isWorkflowNotFound(err)) {
      throw err;
    }
  }
  const archived = await archivedRun(em, workflowId);
  if (archived) {
    const events = JSON.parse(archived.history) as DecodedEvent[];
    return { workflowId, source: 'archive', events: summarise(events.slice(0, HISTORY_EVENTS_MAX)), truncated: events.length > HISTORY_EVENTS_MAX };
  }
  throw unavailable ?? new DomainError('NOT_FOUND', `no workflow history is retained for ${workflowId}`);
}

async function fetchEvents(client: Client, workflowId: string): Promise<{ events: HistoryEvent[]; truncated: boolean }> {
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  for (let page = 0; page < HISTORY_PAGES_MAX && events.length < HISTORY_EVENTS_MAX; page++) {
    const response = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId },
      maximumPageSize: HISTORY_PAGE_SIZE,
      nextPageToken,
    });
    events.push(...(response.history?.events ?? []));
    nextPageToken = response.nextPageToken?.length ? response.nextPageToken : undefined;
    if (!nextPageToken) return { events: events.slice(0, HISTORY_EVENTS_MAX), truncated: events.length > HISTORY_EVENTS_MAX };
  }
  return { events: events.slice(0, HISTORY_EVENTS_MAX), truncated: true };
}

/** Summarises decoded events in order. */
export function summarise(events: DecodedEvent[]): Schemas['HistoryEvent'][] {
  const summariser = new Summariser();
  return events.map((event) => summariser.summarise(event));
}

type Described = Pick<Schemas['HistoryEvent'], 'name' | 'actor' | 'detail'>;
const NOTHING: Described = { name: null, actor: null, detail: null };
/** The decoded JSON is read loosely: any field may be absent. */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Remembers update names and activity types for the events that refer back to them. */
class Summariser {
  private readonly updates = new Map<string, string>();
  private readonly activities = new Map<string, string>();

  summarise(event: DecodedEvent): Schemas['HistoryEvent'] {
    const type = String(event.eventType ?? 'EVENT_TYPE_UNSPECIFIED').replace(/^EVENT_TYPE_/, '');
    let described = NOTHING;
    try {
      described = this.describe(type, event as Json);
    } catch {
      // An event of a shape this summary does not know is listed without details.
    }
    return { eventId: Number(event.eventId), type, at: isoMillis(event.eventTime), ...described };
  }

  private describe(type: string, e: Json): Described {
    switch (type) {
      case 'WORKFLOW_EXECUTION_STARTED': {
        const a = e.workflowExecutionStartedEventAttributes;
        return { name: a?.workflowType?.name ?? null, actor: field(first(a?.input), 'initiatedBy'), detail: null };
      }
      case 'WORKFLOW_EXECUTION_UPDATE_ADMITTED':
      case 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        return this.updateRequest(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest ?? e.workflowExecutionUpdateAdmittedEventAttributes?.request);
      case 'WORKFLOW_EXECUTION_UPDATE_COMPLETED':
        return this.updateOutcome(e.workflowExecutionUpdateCompletedEventAttributes);
      case 'WORKFLOW_EXECUTION_SIGNALED': {
        const a = e.workflowExecutionSignaledEventAttributes;
        return { name: a?.signalName ?? null, actor: field(first(a?.input), 'actor'), detail: null };
      }
      case 'MARKER_RECORDED': {
        // The database writes are local activities: each leaves a marker naming the activity.
        const a = e.markerRecordedEventAttributes;
        const name = field(first(a?.details?.data), 'activity_type') ?? a?.markerName ?? null;
        return { name, actor: null, detail: a?.failure ? clip(`failed: ${failureMessage(a.failure)}`) : null };
      }
      case 'ACTIVITY_TASK_SCHEDULED': {
        const name = e.activityTaskScheduledEventAttributes?.activityType?.name ?? null;
        this.activities.set(String(e.eventId), name ?? '');
        return { ...NOTHING, name };
      }
      default:
        return this.activityOrEnd(type, e);
    }
  }

  private updateRequest(request: Json | undefined): Described {
    const name = request?.input?.name ?? null;
    if (request?.meta?.updateId && name) this.updates.set(request.meta.updateId, name);
    return { name, actor: field(first(request?.input?.args), 'actor'), detail: null };
  }

  private updateOutcome(a: Json | undefined): Described {
    const name = this.updates.get(a?.meta?.updateId ?? '') ?? null;
    if (a?.outcome?.failure) return { name, actor: null, detail: clip(`refused: ${failureMessage(a.outcome.failure)}`) };
    const status = field(first(a?.outcome?.success), 'status');
    return { name, actor: null, detail: status ? `status ${status}` : null };
  }

  /** Activity outcomes name the activity they close; the workflow's end and status changes say what they set. */
  private activityOrEnd(type: string, e: Json): Described {
    const closing = e.activityTaskStartedEventAttributes ?? e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes
      ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (type.startsWith('ACTIVITY_TASK_') && closing) {
      const name = this.activities.get(String(closing.scheduledEventId)) ?? null;
      const attempt = Number(e.activityTaskStartedEventAttributes?.attempt ?? 1);
      const failure = e.activityTaskFailedEventAttributes?.failure ?? e.activityTaskTimedOutEventAttributes?.failure;
      return { name, actor: null, detail: failure ? clip(`failed: ${failureMessage(failure)}`) : attempt > 1 ? `attempt ${attempt}` : null };
    }
    if (type === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') {
      const fields: Json = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
      const pairs = Object.entries(fields).map(([key, value]) => `${key}=${String(value)}`);
      return { ...NOTHING, detail: pairs.length ? clip(pairs.join(', ')) : null };
    }
    if (type === 'WORKFLOW_EXECUTION_COMPLETED') {
      const result = first(e.workflowExecutionCompletedEventAttributes?.result);
      return { ...NOTHING, detail: result === undefined || result === null ? null : clip(JSON.stringify(result)) };
    }
    const failed = e.workflowExecutionFailedEventAttributes?.failure;
    if (type === 'WORKFLOW_EXECUTION_FAILED') return { ...NOTHING, detail: failed ? clip(failureMessage(failed)) : null };
    return NOTHING;
  }
}

/** The first decoded value of a `Payloads`. */
function first(payloads: Json | undefined): unknown {
  return payloads?.payloads?.[0];
}

/**
 * A failure's message. With a codec that encodes failure attributes, the event says "Encoded
 * failure" and the message is in `encodedAttributes`, which the decoding turned into its value.
 */
function failureMessage(failure: Json): string {
  return field(failure.encodedAttributes, 'message') ?? failure.message ?? '';
}

function field(value: unknown, key: string): string | null {
  const found = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof found === 'string' ? found : null;
}

function clip(text: string): string {
  return text.length > DETAIL_LENGTH_MAX ? `${text.slice(0, DETAIL_LENGTH_MAX - 1)}…` : text;
}

/** Event times carry nanoseconds; the answer carries milliseconds, as every other time of the API. */
function isoMillis(time: DecodedEvent['eventTime'] | undefined): string {
  return new Date(Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1_000_000)).toISOString();
}
