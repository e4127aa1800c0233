/**
 * SPEC §7 finance auditing through HTTP: a payout's workflow history as its audit trail (the
 * buyer's confirmation with the buyer as actor), who may read it, and the auditor role reading
 * every seller's records while every write is refused.
 */
import { randomUUID } from 'node:crypto';
import { wrap } from '@mikro-orm/core';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { Payout } from '../../db/payouts/entities';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let a: Market;
let b: Market;
let paidId: string;
let bPayoutId: string;
const startedAt = new Date().toISOString();

beforeAll(async () => {
  stack = await startStack();
  [a, b] = await Promise.all([openMarket(stack), openMarket(stack)]);
  const created = await a.createPayout({ orderId: await a.order(), amount: 2_500, note: '运费补差' }).expect(201);
  paidId = created.body.id;
  await stack.http.post(`/v1/payouts/${paidId}/confirm`).set(bearer(a.buyer)).expect(200);
  // The workflow ends once the outcome cards are out: its history is then complete.
  await stack.client.workflow.getHandle(payoutWorkflowId(paidId)).result();
  bPayoutId = (await b.createPayout({ orderId: await b.order(), amount: 300 }).expect(201)).body.id;
});
afterAll(() => stack.stop());

interface HistoryEvent { eventId: number; type: string; at: string; name: string | null; actor: string | null; detail: string | null }

describe('a payout history', () => {
  test('summarises the workflow: the start, the reserve, the buyer confirming, the transfer, the end', async () => {
    const res = await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(a.seller)).expect(200);
    expect(res.body).toMatchObject({ payoutId: paidId, workflowId: payoutWorkflowId(paidId), truncated: false });
    const events: HistoryEvent[] = res.body.events;
    expect(events.map((e) => e.eventId)).toEqual(events.map((_, i) => i + 1));
    // Ordered by event id; Temporal's event times need not be monotonic (buffered update events).
    expect(events.every((e) => Number.isFinite(Date.parse(e.at)))).toBe(true);
    expect(events[0]).toMatchObject({ type: 'WORKFLOW_EXECUTION_STARTED', name: 'payoutWorkflow', actor: a.sellerId });
    const find = (type: string, name: string) => events.find((e) => e.type === type && e.name === name);
    expect(find('WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'reserve')).toBeDefined();
    expect(find('WORKFLOW_EXECUTION_UPDATE_COMPLETED', 'reserve')?.detail).toBe('status AWAITING_CONFIRMATION');
    expect(find('WORKFLOW_EXECUTION_UPDATE_ACCEPTED', 'confirm')).toMatchObject({ actor: a.buyerId });
    expect(find('WORKFLOW_EXECUTION_UPDATE_COMPLETED', 'confirm')?.detail).toMatch(/^status (CONFIRMED|PAID)$/);
    // The database writes are local activities: a marker each.
    for (const write of ['reservePayout', 'markConfirmed', 'postPayout']) expect(find('MARKER_RECORDED', write)).toBeDefined();
    expect(find('ACTIVITY_TASK_SCHEDULED', 'transferPayout')).toBeDefined();
    expect(find('ACTIVITY_TASK_COMPLETED', 'transferPayout')).toBeDefined();
    expect(events.filter((e) => e.type === 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES').map((e) => e.detail)).toContain('PayoutStatus=PAID');
    expect(events[events.length - 1]).toMatchObject({ type: 'WORKFLOW_EXECUTION_COMPLETED', detail: '{"status":"PAID"}' });
  });

  test('is read by the payout\'s seller and auditors only; anyone else\'s is 404', async () => {
    const audited = await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(a.auditor)).expect(200);
    expect(audited.body.events.length).toBeGreaterThan(10);
    await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(b.seller)).expect(404);
    await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(a.buyer)).expect(403);
    await stack.http.get(`/v1/payouts/${paidId}/history`).set(bearer(await stack.token(uniqueId('sub'), 'sub_account', a.sellerId))).expect(403);
    await stack.http.get(`/v1/payouts/${randomUUID()}/history`).set(bearer(a.auditor)).expect(404);
    await stack.http.get('/v1/payouts/not-a-uuid/history').set(bearer(a.auditor)).expect(400);
  });

  test('a payout whose history Temporal no longer keeps is 404, not 500', async () => {
    const em = stack.orm.em.fork();
    const original = wrap(await em.findOneOrFail(Payout, { id: paidId })).toObject(['events']);
    const orphan = { ...original, id: randomUUID(), orderId: uniqueId('order'), orderClaim: null };
    await em.insert(Payout, orphan);
    try {
      const res = await stack.http.get(`/v1/payouts/${orphan.id}/history`).set(bearer(a.auditor)).expect(404);
      expect(res.body.error.message).toBe(`no workflow history is retained for ${payoutWorkflowId(orphan.id)}`);
    } finally {
      await em.nativeDelete(Payout, { id: orphan.id });
    }
  });
});

describe('the auditor', () => {
  test('reads every seller\'s payouts, details, statements and histories', async () => {
    const all = await stack.http.get('/v1/payouts').set(bearer(a.auditor)).query({ createdFrom: startedAt, limit: 100 }).expect(200);
    expect(all.body.items.map((p: { id: string }) => p.id)).toEqual(expect.arrayContaining([paidId, bPayoutId]));
    const onlyB = await stack.http.get('/v1/payouts').set(bearer(a.auditor)).query({ sellerId: b.sellerId }).expect(200);
    expect(onlyB.body.items.map((p: { id: string }) => p.id)).toEqual([bPayoutId]);
    const detail = await stack.http.get(`/v1/payouts/${bPayoutId}`).set(bearer(a.auditor)).expect(200);
    expect(detail.body).toMatchObject({ sellerId: b.sellerId, timeline: expect.arrayContaining([expect.objectContaining({ type: 'INITIATED', actor: b.sellerId })]) });
    const statement = await stack.http.get('/v1/payout-account/statement').set(bearer(a.auditor)).query({ sellerId: a.sellerId }).expect(200);
    expect(statement.body.items.map((m: { kind: string }) => m.kind)).toEqual(['PAYOUT', 'HOLD', 'RECHARGE']);
    await stack.http.get('/v1/payout-account/statement').set(bearer(a.auditor)).expect(400);
    await stack.http.get(`/v1/payouts/${bPayoutId}/history`).set(bearer(a.auditor)).expect(200);
    await stack.http.get('/v1/reconciliations').set(bearer(a.auditor)).expect(200);
    await stack.http.get('/v1/reconciliations').set(bearer(a.seller)).expect(403);
  });

  test('changes nothing: every write is refused with 403', async () => {
    const orderId = await b.order();
    const writes: [method: 'post' | 'put', path: string, body: object][] = [
      ['post', '/v1/payouts', { orderId, amount: 100, reason: 'OTHER' }],
      ['post', `/v1/payouts/${bPayoutId}/confirm`, {}],
      ['post', `/v1/payouts/${bPayoutId}/decline`, {}],
      ['post', `/v1/payouts/${bPayoutId}/cancel`, {}],
      ['post', '/v1/payout-account/enable', { agreement: { authCode: 'OK1' }, limits: { dailyCount: 1, dailyAmount: 1, perPayoutAmount: 1 } }],
      ['put', '/v1/payout-account/limits', { dailyCount: 1, dailyAmount: 1, perPayoutAmount: 1 }],
      ['post', '/v1/payout-account/disable', {}],
      ['post', '/v1/payout-account/recharges', { amount: 100 }],
      ['post', '/v1/payout-account/withdrawals', { amount: 100 }],
      ['put', '/v1/payout-account/low-balance-alert', { threshold: 1 }],
      ['put', `/v1/sub-accounts/${uniqueId('sub')}/permissions`, { payout: true }],
      ['put', `/v1/orders/${orderId}`, { sellerId: b.sellerId, buyerId: b.buyerId, status: 'CLOSED', paymentType: 'STANDARD', totalAmount: 1, cashPaid: 1, nonCashPaid: 0 }],
    ];
    for (const [method, path, body] of writes) {
      const res = await stack.http[method](path).set(bearer(a.auditor)).set('Idempotency-Key', uniqueId('k')).send(body);
      expect([path, res.status, res.body.error?.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    const after = await stack.http.get(`/v1/payouts/${bPayoutId}`).set(bearer(a.auditor)).expect(200);
    expect(after.body.status).toBe('AWAITING_CONFIRMATION');
    await eventually(async () => (await b.account()).balance.held === 300);
  });
});
