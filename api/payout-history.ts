/**
 * A payout's audit trail (SPEC §7): its Temporal workflow history, read page by page up to a
 * bound and summarised event by event: what happened, when, and for updates and signals who sent
 * them (the `actor` argument of the decision). The history is read raw from Temporal, so its payloads
 * and failure messages arrive encrypted: they are decrypted here with the client's data converter
 * (codec/payload-codec.ts), whatever key of PAYLOAD_KEYS they were written with.
 */
import { isGrpcDeadlineError, isGrpcServiceError, type Client } from '@temporalio/client';
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { DomainError } from '../domain/errors';
import type { Schemas } from './types';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
type Payloads = temporal.api.common.v1.IPayloads | null | undefined;

/** The most events one answer summarises; a payout's history holds a few dozen. */
export const HISTORY_EVENTS_MAX = 500;
const HISTORY_PAGE_SIZE = 100;
/** Pages may come back shorter than asked (size limits): the loop is bounded on its own. */
const HISTORY_PAGES_MAX = 10;
/** How long the request waits for Temporal before answering 503. */
const HISTORY_DEADLINE_MS = 10_000;
/** A detail is a short account, not a dump of the payload. */
const DETAIL_LENGTH_MAX = 200;
const GRPC_NOT_FOUND = 5;
/** DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE: Temporal is busy, restarting or unreachable. */
const GRPC_NOT_NOW = [4, 8, 14];

export interface PayoutHistorySummary {
  workflowId: string;
  events: Schemas['HistoryEvent'][];
  truncated: boolean;
}

export async function payoutHistory(client: Client, workflowId: string): Promise<PayoutHistorySummary> {
  let fetched: { events: HistoryEvent[]; truncated: boolean };
  try {
    fetched = await client.withDeadline(Date.now() + HISTORY_DEADLINE_MS, () => fetchEvents(client, workflowId));
  } catch (err) {
    if (isGrpcServiceError(err) && err.code === GRPC_NOT_FOUND) throw new DomainError('NOT_FOUND', `no workflow history is retained for ${workflowId}`);
    if (isGrpcDeadlineError(err) || (isGrpcServiceError(err) && GRPC_NOT_NOW.includes(err.code))) {
      throw new DomainError('SERVICE_UNAVAILABLE', 'the workflow service did not answer in time');
    }
    throw err;
  }
  const summariser = new Summariser(client.options.loadedDataConverter);
  const events: Schemas['HistoryEvent'][] = [];
  for (const event of fetched.events) events.push(await summariser.summarise(event));
  return { workflowId, events, truncated: fetched.truncated };
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

type Described = Pick<Schemas['HistoryEvent'], 'name' | 'actor' | 'detail'>;
const NOTHING: Described = { name: null, actor: null, detail: null };

/** Summarises events in order, remembering update names and activity types for the events that refer back to them. */
class Summariser {
  private readonly updates = new Map<string, string>();
  private readonly activities = new Map<string, string>();

  constructor(private readonly converter: LoadedDataConverter) {}

  async summarise(event: HistoryEvent): Promise<Schemas['HistoryEvent']> {
    const type = (temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? 'EVENT_TYPE_UNSPECIFIED').replace(/^EVENT_TYPE_/, '');
    const described = await this.describe(type, event).catch(() => NOTHING);
    return { eventId: toNumber(event.eventId), type, at: new Date(timestampMs(event.eventTime)).toISOString(), ...described };
  }

  private async describe(type: string, e: HistoryEvent): Promise<Described> {
    switch (type) {
      case 'WORKFLOW_EXECUTION_STARTED': {
        const input = await this.decodeFirst(e.workflowExecutionStartedEventAttributes?.input);
        return { name: e.workflowExecutionStartedEventAttributes?.workflowType?.name ?? null, actor: field(input, 'initiatedBy'), detail: null };
      }
      case 'WORKFLOW_EXECUTION_UPDATE_ADMITTED':
      case 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED':
        return this.updateRequest(e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest ?? e.workflowExecutionUpdateAdmittedEventAttributes?.request);
      case 'WORKFLOW_EXECUTION_UPDATE_COMPLETED':
        return this.updateOutcome(e.workflowExecutionUpdateCompletedEventAttributes);
      case 'WORKFLOW_EXECUTION_SIGNALED': {
        const a = e.workflowExecutionSignaledEventAttributes;
        return { name: a?.signalName ?? null, actor: field(await this.decodeFirst(a?.input), 'actor'), detail: null };
      }
      case 'MARKER_RECORDED':
        return this.localActivity(e.markerRecordedEventAttributes);
      case 'ACTIVITY_TASK_SCHEDULED':
        this.activities.set(String(e.eventId), e.activityTaskScheduledEventAttributes?.activityType?.name ?? '');
        return { ...NOTHING, name: e.activityTaskScheduledEventAttributes?.activityType?.name ?? null };
      default:
        return this.activityOrEnd(type, e);
    }
  }

  /** The database writes run as local activities: each leaves a marker naming the activity. */
  private async localActivity(a: temporal.api.history.v1.IMarkerRecordedEventAttributes | null | undefined): Promise<Described> {
    const data = await this.decodeFirst(a?.details?.data);
    const name = field(data, 'activity_type') ?? a?.markerName ?? null;
    return { name, actor: null, detail: a?.failure ? clip(`failed: ${await this.failureMessage(a.failure)}`) : null };
  }

  private async updateRequest(request: temporal.api.update.v1.IRequest | null | undefined): Promise<Described> {
    const name = request?.input?.name ?? null;
    if (request?.meta?.updateId && name) this.updates.set(request.meta.updateId, name);
    return { name, actor: field(await this.decodeFirst(request?.input?.args), 'actor'), detail: null };
  }

  private async updateOutcome(a: temporal.api.history.v1.IWorkflowExecutionUpdateCompletedEventAttributes | null | undefined): Promise<Described> {
    const name = this.updates.get(a?.meta?.updateId ?? '') ?? null;
    if (a?.outcome?.failure) return { name, actor: null, detail: clip(`refused: ${await this.failureMessage(a.outcome.failure)}`) };
    const status = field(await this.decodeFirst(a?.outcome?.success), 'status');
    return { name, actor: null, detail: status ? `status ${status}` : null };
  }

  /** Activity outcomes name the activity they close; the workflow's end and status changes say what they set. */
  private async activityOrEnd(type: string, e: HistoryEvent): Promise<Described> {
    const closing = e.activityTaskStartedEventAttributes ?? e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes
      ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (type.startsWith('ACTIVITY_TASK_') && closing) {
      const name = this.activities.get(String(closing.scheduledEventId)) ?? null;
      const attempt = e.activityTaskStartedEventAttributes?.attempt ?? 1;
      const failure = e.activityTaskFailedEventAttributes?.failure ?? e.activityTaskTimedOutEventAttributes?.failure;
      return { name, actor: null, detail: failure ? clip(`failed: ${await this.failureMessage(failure)}`) : attempt > 1 ? `attempt ${attempt}` : null };
    }
    if (type === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES') return { ...NOTHING, detail: await this.searchAttributes(e) };
    if (type === 'WORKFLOW_EXECUTION_COMPLETED') {
      const result = await this.decodeFirst(e.workflowExecutionCompletedEventAttributes?.result);
      return { ...NOTHING, detail: result === undefined ? null : clip(JSON.stringify(result)) };
    }
    const failed = e.workflowExecutionFailedEventAttributes?.failure;
    if (type === 'WORKFLOW_EXECUTION_FAILED') return { ...NOTHING, detail: failed ? clip(await this.failureMessage(failed)) : null };
    return NOTHING;
  }

  private async searchAttributes(e: HistoryEvent): Promise<string | null> {
    const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
    const pairs: string[] = [];
    for (const [key, payload] of Object.entries(fields)) pairs.push(`${key}=${String(await this.decode(payload))}`);
    return pairs.length ? clip(pairs.join(', ')) : null;
  }

  /**
   * Failure messages travel encrypted (the failure converter's `encodeCommonAttributes`): the event
   * says "Encoded failure" and the message is in `encodedAttributes`, which the codec decrypts.
   */
  private async failureMessage(failure: temporal.api.failure.v1.IFailure): Promise<string> {
    const attributes = failure.encodedAttributes ? await this.decode(failure.encodedAttributes) : undefined;
    return field(attributes, 'message') ?? failure.message ?? '';
  }

  private decodeFirst(payloads: Payloads): Promise<unknown> {
    const first = payloads?.payloads?.[0];
    return first ? this.decode(first) : Promise.resolve(undefined);
  }

  /** Codecs decode in the reverse order of encoding; an undecodable payload is shown as nothing. */
  private async decode(payload: Payload): Promise<unknown> {
    try {
      let decoded = [payload];
      for (const codec of [...this.converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
      return this.converter.payloadConverter.fromPayload(decoded[0]);
    } catch {
      return undefined;
    }
  }
}

function field(value: unknown, key: string): string | null {
  const found = value && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined;
  return typeof found === 'string' ? found : null;
}

function clip(text: string): string {
  return text.length > DETAIL_LENGTH_MAX ? `${text.slice(0, DETAIL_LENGTH_MAX - 1)}…` : text;
}

function toNumber(value: number | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'number' ? value : value.toNumber();
}

function timestampMs(ts: { seconds?: number | { toNumber(): number } | null; nanos?: number | null } | null | undefined): number {
  return toNumber(ts?.seconds) * 1000 + Math.floor((ts?.nanos ?? 0) / 1_000_000);
}
