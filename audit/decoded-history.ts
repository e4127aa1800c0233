/**
 * A workflow history as decoded JSON: the history's protobuf object form (field names as in
 * Temporal's API, enums by name, 64-bit integers as strings, bytes in base64, times as
 * `{ seconds, nanos }`), with every payload replaced by its value as the client's data converter
 * reads it, so that a payload codec (encryption) is undone here and the value is what the workflow
 * saw. The
 * history endpoint summarises this form, whether it came from Temporal or from the archive, so that
 * both answer in the same shape; the archive stores and hashes it.
 */
import type { LoadedDataConverter, Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** One history event (`eventId` as a string, `eventType` as `EVENT_TYPE_...`). */
export type DecodedEvent = { eventId: string; eventTime: { seconds?: string; nanos?: number }; eventType: string } & Record<string, unknown>;

/** A payload in object form: metadata values and data in base64. */
interface PayloadObject {
  metadata: Record<string, string>;
  data?: string;
}

/**
 * The SDK's `historyToJSON` would give the CLI's JSON form, but it breaks when npm installs more than
 * one copy of protobufjs (as it does here); the generated classes' own `toObject` does not.
 */
const OBJECT_FORM = { longs: String, enums: String, bytes: String, defaults: false } as const;

/** Nesting of a history event is shallow (under 15 levels); the walk stops well past it. */
const DEPTH_MAX = 64;
const PAYLOAD_KEYS = new Set(['metadata', 'data', 'externalPayloads']);

export async function decodeHistory(converter: LoadedDataConverter, events: temporal.api.history.v1.IHistoryEvent[]): Promise<DecodedEvent[]> {
  const history = temporal.api.history.v1.History;
  const object = history.toObject(history.create({ events: events as temporal.api.history.v1.HistoryEvent[] }), OBJECT_FORM) as { events?: DecodedEvent[] };
  return (await decodeNode(converter, object.events ?? [], 0)) as DecodedEvent[];
}

async function decodeNode(converter: LoadedDataConverter, node: unknown, depth: number): Promise<unknown> {
  if (depth > DEPTH_MAX || node === null || typeof node !== 'object') return node;
  if (Array.isArray(node)) return Promise.all(node.map((item) => decodeNode(converter, item, depth + 1)));
  if (isPayload(node)) return decodePayload(converter, node);
  const entries = await Promise.all(Object.entries(node).map(async ([key, value]) => [key, await decodeNode(converter, value, depth + 1)] as const));
  return Object.fromEntries(entries);
}

/** A payload: `metadata` naming an encoding, `data`, and nothing else. */
function isPayload(node: object): node is PayloadObject {
  const metadata = (node as { metadata?: unknown }).metadata;
  return Boolean(metadata) && typeof metadata === 'object' && 'encoding' in (metadata as object) && Object.keys(node).every((key) => PAYLOAD_KEYS.has(key));
}

/**
 * Codecs decode in the reverse order of encoding. A payload that cannot be decoded (a key that is
 * gone) is kept as it was, marked, rather than dropped: the record then says what it could not read.
 */
async function decodePayload(converter: LoadedDataConverter, json: PayloadObject): Promise<unknown> {
  try {
    const bytes = (base64: string | undefined) => new Uint8Array(Buffer.from(base64 ?? '', 'base64'));
    const metadata = Object.fromEntries(Object.entries(json.metadata).map(([key, value]) => [key, bytes(value)]));
    let decoded: Payload[] = [{ metadata, data: bytes(json.data) }];
    for (const codec of [...converter.payloadCodecs].reverse()) decoded = await codec.decode(decoded);
    return toJsonValue(converter.payloadConverter.fromPayload(decoded[0]));
  } catch {
    return { undecodedPayload: json };
  }
}

/** JSON has no `undefined` (a void result) and no bytes: null and base64 stand for them. */
function toJsonValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Uint8Array) return { base64: Buffer.from(value).toString('base64') };
  return JSON.parse(JSON.stringify(value)) as unknown;
}
