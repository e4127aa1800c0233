/**
 * SPEC §7 encrypted payloads against the real stack: the Temporal server holds no cleartext note,
 * buyer id or failure message of a payout; a payout started under one key finishes, and its history
 * stays readable, after another key becomes the encryption key (a rotation across a redeploy); the
 * raw history decodes through the codec endpoint that the Temporal UI calls.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { workflowHistory } from '../../api/payout-history';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA_KEY } from '../../codec/payload-codec';
import { payloadKeyEnv } from '../support/payload-keys';
import { bearer, openMarket, sellerPayoutId, type Market } from '../support/scenario';
import { startStack, uniqueId, type Stack } from '../support/stack';

let first: Stack;
let second: Stack | undefined;
let market: Market;
const note = `降价补差 ${uniqueId('note')}`;
let payoutId: string;
let refusedId: string;

beforeAll(async () => {
  first = await startStack({ payloadKeys: payloadKeyEnv('test-1', ['test-1']) });
  market = await openMarket(first, { reserveFen: 3_000 });
  payoutId = (await market.createPayout({ orderId: await market.order(), amount: 2_000, note }).expect(201)).body.id;
  // More than the 1,000 fen left: refused by the reservation, a failure recorded in the history.
  const refusedKey = uniqueId('refused');
  await market.createPayout({ orderId: await market.order(), amount: 1_500, note }, { 'Idempotency-Key': refusedKey }).expect(422);
  refusedId = sellerPayoutId(market.sellerId, refusedKey);
  await first.client.workflow.getHandle(payoutWorkflowId(refusedId)).result();
});
afterAll(async () => {
  await second?.stop();
  await first.stop().catch(() => undefined);
});

interface RawPayload { encoding: string | undefined; keyId: string | undefined; json: { metadata: Record<string, string>; data: string } }

/** The history as the Temporal server stores it, read without our codec. */
async function rawHistory(client: Client, id: string): Promise<temporal.api.history.v1.IHistory> {
  const response = await client.connection.workflowService.getWorkflowExecutionHistory({ namespace: client.options.namespace, execution: { workflowId: payoutWorkflowId(id) } });
  return response.history!;
}

/**
 * Every payload of a history but those the SDK never hands to codecs: search attributes (indexes,
 * cleartext by design) and the bookkeeping of a local-activity marker (sequence number, attempt,
 * activity type and times, written by the SDK's core; the activity's result beside it is encrypted)
 * and a `patched()` marker's patch id (core writes it as plain JSON: the name of a code change).
 */
function payloadsOf(value: unknown, path = '', found: RawPayload[] = []): RawPayload[] {
  if (!value || typeof value !== 'object' || value instanceof Uint8Array || CLEARTEXT_BY_DESIGN.test(path)) return found;
  if (Array.isArray(value)) {
    value.forEach((item, i) => payloadsOf(item, `${path}[${i}]`, found));
    return found;
  }
  const record = value as Record<string, unknown>;
  if (record.metadata && record.data instanceof Uint8Array) {
    const metadata = record.metadata as Record<string, Uint8Array>;
    const text = (bytes?: Uint8Array) => (bytes ? Buffer.from(bytes).toString() : undefined);
    const json = { metadata: Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, Buffer.from(v).toString('base64')])), data: Buffer.from(record.data).toString('base64') };
    found.push({ encoding: text(metadata.encoding), keyId: text(metadata[KEY_ID_METADATA_KEY]), json });
    return found;
  }
  for (const [key, child] of Object.entries(record)) payloadsOf(child, `${path}.${key}`, found);
  return found;
}
const CLEARTEXT_BY_DESIGN = /\.searchAttributes$|\.markerRecordedEventAttributes\.details\.(data|patch-data)$/;

function failureMessagesOf(history: temporal.api.history.v1.IHistory): string[] {
  const json = JSON.stringify(temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History));
  return [...json.matchAll(/"failure":\{"message":"([^"]*)"/g)].map((m) => m[1]);
}

async function historyOf(stack: Stack, id: string): Promise<{ type: string; name: string | null; actor: string | null; detail: string | null }[]> {
  return (await stack.http.get(`/v1/payouts/${id}/history`).set(bearer(market.auditor)).expect(200)).body.events;
}

test('the Temporal server holds no cleartext note, buyer id or failure message', async () => {
  // A refused payout keeps no row, so the API does not serve its history: read it as the API would.
  const refusal = (await workflowHistory(first.client, first.orm.em.fork(), payoutWorkflowId(refusedId))).events.find((e) => e.type === 'MARKER_RECORDED' && e.detail?.startsWith('failed: '));
  expect(refusal?.detail).toMatch(/^failed: .{10,}/);
  const refusalMessage = refusal!.detail!.slice('failed: '.length);
  for (const id of [payoutId, refusedId]) {
    const history = await rawHistory(first.client, id);
    const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
    expect([id, bytes.includes(note), bytes.includes(market.buyerId), bytes.includes(refusalMessage)]).toEqual([id, false, false, false]);
    const payloads = payloadsOf(history);
    expect(payloads.length).toBeGreaterThan(3);
    expect(new Set(payloads.map((p) => `${p.encoding} ${p.keyId}`))).toEqual(new Set([`${ENCRYPTED_ENCODING} test-1`]));
  }
  expect(failureMessagesOf(await rawHistory(first.client, refusedId))).toEqual(expect.arrayContaining(['Encoded failure']));
  expect(failureMessagesOf(await rawHistory(first.client, refusedId)).every((m) => m === 'Encoded failure')).toBe(true);
});

test('after key 2 becomes the encryption key, a payout started under key 1 finishes and stays readable', async () => {
  await first.stop();
  // The next release: both keys held, key 2 encrypts; it takes over the same task queue.
  second = await startStack({ payloadKeys: payloadKeyEnv('test-2', ['test-1', 'test-2']), taskQueue: first.config.taskQueue });
  const confirmed = await second.http.post(`/v1/payouts/${payoutId}/confirm`).set(bearer(market.buyer)).expect(200);
  expect(confirmed.body.status).toMatch(/^(CONFIRMED|PAID)$/);
  expect(await second.client.workflow.getHandle(payoutWorkflowId(payoutId)).result()).toEqual({ status: 'PAID' });

  const events = await historyOf(second, payoutId);
  expect(events[0]).toMatchObject({ type: 'WORKFLOW_EXECUTION_STARTED', actor: market.sellerId });
  expect(events.find((e) => e.type === 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED' && e.name === 'confirm')).toMatchObject({ actor: market.buyerId });
  expect(events[events.length - 1]).toMatchObject({ type: 'WORKFLOW_EXECUTION_COMPLETED', detail: '{"status":"PAID"}' });
  const { events: refused } = await workflowHistory(second.client, second.orm.em.fork(), payoutWorkflowId(refusedId));
  expect(refused[refused.length - 1].detail).toMatch(/"status":"REFUSED"/);

  const history = await rawHistory(second.client, payoutId);
  expect(new Set(payloadsOf(history).map((p) => p.keyId))).toEqual(new Set(['test-1', 'test-2']));
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  expect([bytes.includes(note), bytes.includes(market.buyerId)]).toEqual([false, false]);
});

test('the raw history decodes through the codec endpoint, under both keys', async () => {
  const payloads = payloadsOf(await rawHistory(second!.client, payoutId));
  const res = await second!.http.post('/codec/decode').set(bearer(market.auditor)).set('X-Namespace', 'default').send({ payloads: payloads.map((p) => p.json) }).expect(200);
  const decoded: { metadata: Record<string, string>; data: string }[] = res.body.payloads;
  expect(decoded).toHaveLength(payloads.length);
  // JSON values, and `undefined` (an update or activity with no result) as binary/null.
  expect(new Set(decoded.map((p) => Buffer.from(p.metadata.encoding, 'base64').toString()))).toEqual(new Set(['json/plain', 'binary/null']));
  const text = decoded.map((p) => Buffer.from(p.data, 'base64').toString()).join('\n');
  expect([text.includes(note), text.includes(market.buyerId)]).toEqual([true, true]);
});
