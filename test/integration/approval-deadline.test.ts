/**
 * SPEC §5 maker-checker's deadline, on a stack whose confirmation window is 6 s (so the approval
 * deadline is 2 s): an unapproved payout is REJECTED (APPROVAL_EXPIRED) by the server on time, and
 * an approval racing the deadline either wins (the buyer's window starts, the buyer is paid) or
 * loses (409, the money back in available), never both.
 */
import { checkInvariants } from '../../db/ledger/invariants';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ confirmWindow: '6s' });
});
afterAll(() => stack.stop());

const APPROVAL_WINDOW_MS = 2_000;

async function team(): Promise<Market & { sub: string }> {
  const market = await openMarket(stack);
  const subId = uniqueId('sub');
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
  await stack.http.put('/v1/payout-account/approval-policy').set(bearer(market.seller)).send({ subAccountThreshold: 1 }).expect(200);
  return { ...market, sub: await stack.token(subId, 'sub_account', market.sellerId) };
}

async function subPayout(t: Market & { sub: string }, amount = 2_000) {
  const orderId = await t.order();
  const res = await stack.http.post('/v1/payouts').set(bearer(t.sub)).send({ orderId, amount, reason: 'SHIPPING_FEE' }).expect(201);
  expect(res.body.status).toBe('PENDING_APPROVAL');
  return { orderId, id: res.body.id as string, createdAtMs: Date.parse(res.body.createdAt) };
}

const payoutOf = async (t: Market, id: string) => (await stack.http.get(`/v1/payouts/${id}`).set(bearer(t.seller)).expect(200)).body;

async function ended(t: Market, id: string, statuses: string[]) {
  return eventually(async () => {
    const payout = await payoutOf(t, id);
    return statuses.includes(payout.status) ? payout : undefined;
  });
}

test('unapproved after a third of the window: REJECTED, APPROVAL_EXPIRED, released, order free', async () => {
  const t = await team();
  const { orderId, id, createdAtMs } = await subPayout(t);
  const rejected = await ended(t, id, ['REJECTED']);
  expect(rejected).toMatchObject({ closeReason: 'APPROVAL_EXPIRED', expiresAt: null, approvedAt: null });
  expect(Date.parse(rejected.closedAt)).toBeGreaterThanOrEqual(createdAtMs + APPROVAL_WINDOW_MS);
  expect(rejected.timeline).toContainEqual(expect.objectContaining({ type: 'REJECTED', actor: 'system' }));
  expect((await t.account()).balance).toEqual({ available: 100_000, held: 0 });
  const late = await stack.http.post(`/v1/payouts/${id}/approve`).set(bearer(t.seller)).expect(409);
  expect(late.body.error.code).toBe('PAYOUT_NOT_PENDING_APPROVAL');
  await t.createPayout({ orderId, amount: 100 }).expect(201);
});

test('approve racing the approval deadline: exactly one wins, and the money ends where the winner says', async () => {
  const t = await team();
  const offsetsMs = [-300, -100, 0, 100, 300];
  const payouts = await Promise.all(offsetsMs.map(() => subPayout(t)));
  const answers = await Promise.all(payouts.map(async ({ id, createdAtMs }, i) => {
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, createdAtMs + APPROVAL_WINDOW_MS + offsetsMs[i] - Date.now())));
    const approve = await stack.http.post(`/v1/payouts/${id}/approve`).set(bearer(t.seller));
    // The approval won: the buyer's window started, and the buyer takes the money at once.
    if (approve.status === 200) await stack.http.post(`/v1/payouts/${id}/confirm`).set(bearer(t.buyer)).expect(200);
    return approve;
  }));
  let paid = 0;
  for (const [i, approve] of answers.entries()) {
    expect([200, 409]).toContain(approve.status);
    const end = await ended(t, payouts[i].id, ['PAID', 'REJECTED']);
    if (approve.status === 200) {
      expect(end).toMatchObject({ status: 'PAID', approvedAt: expect.any(String) });
      paid += 2_000;
    } else {
      expect(approve.body.error.code).toBe('PAYOUT_NOT_PENDING_APPROVAL');
      expect(end).toMatchObject({ status: 'REJECTED', closeReason: 'APPROVAL_EXPIRED', approvedAt: null });
    }
  }
  expect((await t.account()).balance).toEqual({ available: 100_000 - paid, held: 0 });
  expect((await checkInvariants(stack.orm.em.fork(), [t.sellerId])).problems).toEqual([]);
});
