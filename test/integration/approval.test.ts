/**
 * SPEC §5 maker-checker through HTTP on the real stack: the policy (main account only, logged,
 * idempotent), a sub-account's payout at or above it waits in PENDING_APPROVAL with its money held
 * and counted while the buyer sees nothing, every row of "who may decide what", approve racing
 * reject (exactly one wins, the money ends where the winner says), a rejected payout freeing its
 * order, and an order closed while its payout waits for approval.
 */
import { randomUUID } from 'node:crypto';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { checkInvariants } from '../../db/ledger/invariants';
import { cancelUpdate, decisionSignal } from '../../workflows/payout';
import { Notification } from '../../db/notifications/entities';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const THRESHOLD = 3_000;

interface Team extends Market {
  sub: string;
  subId: string;
}

/** A market whose main account requires approval from THRESHOLD and whose sub-account may pay out. */
async function team(reserveFen = 100_000): Promise<Team> {
  const market = await openMarket(stack, { reserveFen });
  const subId = uniqueId('sub');
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
  await stack.http.put('/v1/payout-account/approval-policy').set(bearer(market.seller)).send({ subAccountThreshold: THRESHOLD }).expect(200);
  return { ...market, subId, sub: await stack.token(subId, 'sub_account', market.sellerId) };
}

async function subPayout(t: Team, amount = 4_000) {
  const orderId = await t.order();
  const res = await stack.http.post('/v1/payouts').set(bearer(t.sub)).send({ orderId, amount, reason: 'COMPENSATION' }).expect(201);
  return { orderId, id: res.body.id as string, payout: res.body };
}

const post = (path: string, token: string) => stack.http.post(path).set(bearer(token));
const payoutOf = async (t: Market, id: string) => (await stack.http.get(`/v1/payouts/${id}`).set(bearer(t.seller)).expect(200)).body;
const expectCode = (res: { body: { error: { code: string } } }, code: string) => expect(res.body.error.code).toBe(code);

async function settled(t: Market, id: string, status: string) {
  return eventually(async () => {
    const payout = await payoutOf(t, id);
    return payout.status === status ? payout : undefined;
  });
}

async function expectBalanced(t: Market) {
  expect((await checkInvariants(stack.orm.em.fork(), [t.sellerId])).problems).toEqual([]);
}

test('the policy: main account only, shown on the account, logged once however often it is put', async () => {
  const t = await team();
  const account = await t.account() as unknown as { approvalPolicy: unknown };
  expect(account.approvalPolicy).toEqual({ subAccountThreshold: THRESHOLD });
  await stack.http.put('/v1/payout-account/approval-policy').set(bearer(t.seller)).send({ subAccountThreshold: THRESHOLD }).expect(200);
  const log = await stack.http.get('/v1/audit/settings-changes').set(bearer(t.seller)).expect(200);
  const changes = log.body.items.filter((c: { setting: string }) => c.setting === 'approvalPolicy');
  expect(changes).toHaveLength(1);
  expect(changes[0]).toMatchObject({ before: { subAccountThreshold: null }, after: { subAccountThreshold: THRESHOLD }, actor: { id: t.sellerId, role: 'seller' } });
  expectCode(await stack.http.put('/v1/payout-account/approval-policy').set(bearer(t.sub)).send({ subAccountThreshold: null }).expect(403), 'FORBIDDEN');
  for (const bad of [{ subAccountThreshold: 0 }, { subAccountThreshold: 1.5 }, { subAccountThreshold: '3000' }, {}, { subAccountThreshold: null, extra: 1 }]) {
    expectCode(await stack.http.put('/v1/payout-account/approval-policy').set(bearer(t.seller)).send(bad).expect(400), 'VALIDATION_ERROR');
  }
  const auditor = await stack.http.get(`/v1/audit/accounts/${t.sellerId}`).set(bearer(t.auditor)).expect(200);
  expect(auditor.body.approvalPolicy).toEqual({ subAccountThreshold: THRESHOLD });
});

test('only a sub-account\'s payout at or above the threshold waits; the money is held and counted at once', async () => {
  const t = await team();
  const below = await subPayout(t, THRESHOLD - 1);
  expect(below.payout).toMatchObject({ status: 'AWAITING_CONFIRMATION', approvalExpiresAt: null });
  const main = await t.createPayout({ orderId: await t.order(), amount: 4_000 }).expect(201);
  expect(main.body.status).toBe('AWAITING_CONFIRMATION');
  const { payout } = await subPayout(t, THRESHOLD);
  expect(payout).toMatchObject({ status: 'PENDING_APPROVAL', expiresAt: null, approvedAt: null, initiatedBy: t.subId });
  // A third of the stack's one-hour window.
  expect(Date.parse(payout.approvalExpiresAt) - Date.parse(payout.createdAt)).toBe(20 * 60 * 1000);
  expect((await t.account()).balance).toEqual({ available: 100_000 - (THRESHOLD - 1) - 4_000 - THRESHOLD, held: (THRESHOLD - 1) + 4_000 + THRESHOLD });
  expect((await t.account()).today).toMatchObject({ count: 3 });
  const eligibility = await stack.http.get(`/v1/orders/${payout.orderId}/payout-eligibility`).set(bearer(t.seller)).expect(200);
  expect(eligibility.body.reasons).toContain('ORDER_ALREADY_PAID_OUT');
  const seller = await stack.http.get('/v1/seller/notifications').set(bearer(t.seller)).expect(200);
  expect(seller.body.items).toContainEqual(expect.objectContaining({ kind: 'APPROVAL_REQUESTED', payoutId: payout.id }));
  await expectBalanced(t);
});

test('the buyer sees nothing before the approval, and everything after it', async () => {
  const t = await team();
  const { orderId, id } = await subPayout(t);
  await stack.http.get(`/v1/payouts/${id}`).set(bearer(t.buyer)).expect(404);
  expect((await stack.http.get('/v1/buyer/payouts').set(bearer(t.buyer)).expect(200)).body.items).toEqual([]);
  expect((await stack.http.get('/v1/buyer/payouts?status=PENDING_APPROVAL').set(bearer(t.buyer)).expect(200)).body.items).toEqual([]);
  expect(await stack.http.get(`/v1/orders/${orderId}/payout`).set(bearer(t.buyer)).expect(200).then((r) => r.body)).toMatchObject({ payout: null, refundableCash: 5_000 });
  expect((await stack.http.get(`/v1/orders/${orderId}/payout`).set(bearer(t.seller)).expect(200)).body.payout).toMatchObject({ id, status: 'PENDING_APPROVAL' });
  expect((await stack.http.get('/v1/buyer/notifications').set(bearer(t.buyer)).expect(200)).body.items).toEqual([]);

  const approved = await post(`/v1/payouts/${id}/approve`, t.seller).expect(200);
  expect(approved.body).toMatchObject({ status: 'AWAITING_CONFIRMATION', approvedAt: expect.any(String) });
  expect(Date.parse(approved.body.expiresAt) - Date.parse(approved.body.approvedAt)).toBe(60 * 60 * 1000);
  await stack.http.get(`/v1/payouts/${id}`).set(bearer(t.buyer)).expect(200);
  expect((await stack.http.get('/v1/buyer/payouts').set(bearer(t.buyer)).expect(200)).body.items.map((p: { id: string }) => p.id)).toEqual([id]);
  await eventually(async () => {
    const cards = (await stack.http.get('/v1/buyer/notifications').set(bearer(t.buyer)).expect(200)).body.items;
    return cards.some((c: { kind: string; payoutId: string }) => c.kind === 'PAYOUT_SENT' && c.payoutId === id);
  });
  const detail = await payoutOf(t, id);
  expect(detail.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['INITIATED', 'APPROVED', 'NOTIFIED']));
  expect(detail.timeline).toContainEqual(expect.objectContaining({ type: 'APPROVED', actor: t.sellerId }));
  await post(`/v1/payouts/${id}/confirm`, t.buyer).expect(200);
  expect(await settled(t, id, 'PAID')).toMatchObject({ closeReason: null });
  expect((await t.account()).balance).toEqual({ available: 96_000, held: 0 });
});

test('who may decide what: PENDING_APPROVAL', async () => {
  const t = await team();
  const { id } = await subPayout(t);
  expectCode(await post(`/v1/payouts/${id}/confirm`, t.buyer).expect(409), 'PAYOUT_NOT_AWAITING_CONFIRMATION');
  expectCode(await post(`/v1/payouts/${id}/decline`, t.buyer).expect(409), 'PAYOUT_NOT_AWAITING_CONFIRMATION');
  expectCode(await post(`/v1/payouts/${id}/approve`, t.sub).expect(403), 'FORBIDDEN');
  expectCode(await post(`/v1/payouts/${id}/reject`, t.sub).expect(403), 'FORBIDDEN');
  expectCode(await post(`/v1/payouts/${id}/approve`, t.buyer).expect(403), 'FORBIDDEN');
  const other = await openMarket(stack, { reserveFen: 0 });
  await post(`/v1/payouts/${id}/approve`, other.seller).expect(404);
  expect((await payoutOf(t, id)).status).toBe('PENDING_APPROVAL');
  // The sub-account that holds the permission may cancel it while it waits.
  const cancelled = await post(`/v1/payouts/${id}/cancel`, t.sub).expect(200);
  expect(cancelled.body).toMatchObject({ status: 'CANCELLED', closeReason: 'SELLER_CANCELLED' });
  expect((await t.account()).balance).toEqual({ available: 100_000, held: 0 });
  expectCode(await post(`/v1/payouts/${id}/approve`, t.seller).expect(409), 'PAYOUT_NOT_PENDING_APPROVAL');
  expectCode(await post(`/v1/payouts/${id}/cancel`, t.seller).expect(409), 'PAYOUT_NOT_AWAITING_CONFIRMATION');
  await expectBalanced(t);
});

test('who may decide what: AWAITING_CONFIRMATION and later', async () => {
  const t = await team();
  const { id } = await subPayout(t);
  await post(`/v1/payouts/${id}/approve`, t.seller).expect(200);
  expectCode(await post(`/v1/payouts/${id}/approve`, t.seller).expect(409), 'PAYOUT_NOT_PENDING_APPROVAL');
  expectCode(await post(`/v1/payouts/${id}/reject`, t.seller).expect(409), 'PAYOUT_NOT_PENDING_APPROVAL');
  await post(`/v1/payouts/${id}/decline`, t.buyer).expect(200);
  const declined = await settled(t, id, 'DECLINED');
  expect(declined.closeReason).toBe('BUYER_DECLINED');
  for (const decision of ['confirm', 'decline']) expectCode(await post(`/v1/payouts/${id}/${decision}`, t.buyer).expect(409), 'PAYOUT_NOT_AWAITING_CONFIRMATION');
  expectCode(await post(`/v1/payouts/${id}/cancel`, t.seller).expect(409), 'PAYOUT_NOT_AWAITING_CONFIRMATION');
  for (const decision of ['approve', 'reject']) expectCode(await post(`/v1/payouts/${id}/${decision}`, t.seller).expect(409), 'PAYOUT_NOT_PENDING_APPROVAL');
  // A payout that never needed approval cannot be approved either.
  const plain = await t.createPayout({ orderId: await t.order(), amount: 100 }).expect(201);
  expectCode(await post(`/v1/payouts/${plain.body.id}/approve`, t.seller).expect(409), 'PAYOUT_NOT_PENDING_APPROVAL');
});

test('a rejected payout releases its money, frees its order, and the buyer never hears of it', async () => {
  const t = await team();
  const { orderId, id } = await subPayout(t);
  const rejected = await post(`/v1/payouts/${id}/reject`, t.seller).expect(200);
  expect(rejected.body).toMatchObject({ status: 'REJECTED', closeReason: 'APPROVAL_REJECTED', expiresAt: null, approvedAt: null });
  expect((await t.account()).balance).toEqual({ available: 100_000, held: 0 });
  const detail = await payoutOf(t, id);
  expect(detail.timeline).toContainEqual(expect.objectContaining({ type: 'REJECTED', actor: t.sellerId }));
  expect((await stack.http.get(`/v1/orders/${orderId}/payout-eligibility`).set(bearer(t.seller)).expect(200)).body.eligible).toBe(true);
  expect((await stack.http.get(`/v1/orders/${orderId}/payout`).set(bearer(t.seller)).expect(200)).body.refundableCash).toBe(9_000);
  const again = await t.createPayout({ orderId, amount: 4_500 }).expect(201);
  expect(again.body.status).toBe('AWAITING_CONFIRMATION');
  // The seller's outcome card only: the buyer's list has the new payout's card, not the rejected one's.
  await eventually(async () => (await stack.orm.em.fork().find(Notification, { payoutId: id, kind: 'PAYOUT_OUTCOME' })).length === 1);
  expect(await stack.orm.em.fork().find(Notification, { payoutId: id, recipientRole: 'buyer' })).toEqual([]);
  const records = await stack.http.get('/v1/payouts?status=REJECTED').set(bearer(t.seller)).expect(200);
  expect(records.body.items.map((p: { id: string }) => p.id)).toEqual([id]);
  const summary = await stack.http.get('/v1/payouts/summary').set(bearer(t.seller)).expect(200);
  expect(summary.body.byStatus).toContainEqual({ status: 'REJECTED', count: 1, amount: 4_000 });
  const csv = await stack.http.get('/v1/payouts/export.csv?status=REJECTED').set(bearer(t.seller)).expect(200);
  expect(csv.text).toContain(`${id},${orderId}`);
  await expectBalanced(t);
});

test('approve racing reject: exactly one wins, and the money ends where the winner says', async () => {
  const t = await team();
  const races = await Promise.all(Array.from({ length: 4 }, () => subPayout(t, 3_000)));
  const answers = await Promise.all(races.map(({ id }) => Promise.all([post(`/v1/payouts/${id}/approve`, t.seller), post(`/v1/payouts/${id}/reject`, t.seller)])));
  let held = 0;
  for (const [i, [approve, reject]] of answers.entries()) {
    expect([approve.status, reject.status].sort()).toEqual([200, 409]);
    const loser = approve.status === 409 ? approve : reject;
    expectCode(loser, 'PAYOUT_NOT_PENDING_APPROVAL');
    const payout = await payoutOf(t, races[i].id);
    if (approve.status === 200) {
      expect(payout).toMatchObject({ status: 'AWAITING_CONFIRMATION', approvedAt: expect.any(String) });
      held += 3_000;
    } else {
      expect(payout).toMatchObject({ status: 'REJECTED', closeReason: 'APPROVAL_REJECTED', approvedAt: null });
    }
  }
  expect((await t.account()).balance).toEqual({ available: 100_000 - held, held });
  await expectBalanced(t);
});

test('an order closed or refunded while its payout waits for approval cancels it (system)', async () => {
  const t = await team();
  const closed = await subPayout(t);
  const refunded = await subPayout(t);
  const push = (orderId: string, patch: Record<string, unknown>) => stack.http.put(`/v1/orders/${orderId}`).set(bearer(t.system))
    .send({ sellerId: t.sellerId, buyerId: t.buyerId, status: 'PAID', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000, ...patch }).expect(200);
  await push(closed.orderId, { status: 'CLOSED' });
  await push(refunded.orderId, { totalAmount: 4_000, cashPaid: 3_000 });
  expect(await settled(t, closed.id, 'CANCELLED')).toMatchObject({ closeReason: 'ORDER_CLOSED' });
  const end = await settled(t, refunded.id, 'CANCELLED');
  expect(end).toMatchObject({ closeReason: 'ORDER_REFUNDED' });
  expect(end.timeline).toContainEqual(expect.objectContaining({ type: 'CANCELLED', actor: 'system' }));
  expectCode(await post(`/v1/payouts/${closed.id}/approve`, t.seller).expect(409), 'PAYOUT_NOT_PENDING_APPROVAL');
  expect((await t.account()).balance).toEqual({ available: 100_000, held: 0 });
  await expectBalanced(t);
});

test('the history shows the approval with its actor', async () => {
  const t = await team();
  const { id } = await subPayout(t);
  await post(`/v1/payouts/${id}/approve`, t.seller).expect(200);
  const history = await stack.http.get(`/v1/payouts/${id}/history`).set(bearer(t.auditor)).expect(200);
  expect(history.body.events).toContainEqual(expect.objectContaining({ name: 'approve', actor: t.sellerId }));
});

test('a decision id is applied at most once: the update abandoned for its signal answers with what the signal did', async () => {
  const t = await team();
  const { id } = await subPayout(t);
  const handle = stack.client.workflow.getHandle(payoutWorkflowId(id));
  const decisionId = randomUUID();
  await handle.signal(decisionSignal, { decision: 'cancel', actor: t.subId, decisionId });
  // The same decision arriving late as its update: not refused, not applied again.
  const late = await handle.executeUpdate(cancelUpdate, { args: [{ actor: t.subId, decisionId }] });
  expect(late).toMatchObject({ status: 'CANCELLED', closeReason: 'SELLER_CANCELLED' });
  // Another decision (another id) finds the verdict taken.
  await expect(handle.executeUpdate(cancelUpdate, { args: [{ actor: t.sellerId, decisionId: randomUUID() }] })).rejects.toThrow();
  expect((await t.account()).balance).toEqual({ available: 100_000, held: 0 });
});
