/**
 * SPEC §5 "The edges" and §6 through HTTP on the real stack: `refundableCash` counts every payout
 * that holds or paid money; an order closed or refunded beyond it while its payout awaits the buyer
 * cancels the payout (closeReason, actor system, hold released, outcome cards), also when the
 * process that stored the order died before telling the workflow; a recorded confirmation still
 * completes; parties of an order with a payout are locked; FAILED frees the order; a PAID payout
 * carries the provider's transaction id and the transfer's memo.
 */
import { checkInvariants } from '../../db/ledger/invariants';
import { Notification } from '../../db/notifications/entities';
import { SandboxTransaction } from '../../db/sandbox/entities';
import { upsertOrder } from '../../db/orders/orders';
import { SandboxProvider } from '../../provider/sandbox';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const ORDER = { status: 'PAID', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 };

async function payoutOf(market: Market, id: string) {
  return (await stack.http.get(`/v1/payouts/${id}`).set(bearer(market.seller)).expect(200)).body;
}

async function settled(market: Market, id: string, status: string) {
  return eventually(async () => {
    const payout = await payoutOf(market, id);
    return payout.status === status ? payout : undefined;
  }, 30_000);
}

function pushOrder(market: Market, orderId: string, patch: Record<string, unknown>) {
  return stack.http.put(`/v1/orders/${orderId}`).set(bearer(market.system)).send({ sellerId: market.sellerId, buyerId: market.buyerId, ...ORDER, ...patch });
}

async function refundPage(market: Market, orderId: string) {
  return (await stack.http.get(`/v1/orders/${orderId}/payout`).set(bearer(market.buyer)).expect(200)).body;
}

async function pending(market: Market, amount = 4_000) {
  const orderId = await market.order();
  const created = await market.createPayout({ orderId, amount }).expect(201);
  return { orderId, id: created.body.id as string };
}

async function expectBalanced(market: Market) {
  expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
}

test('refundableCash takes off the payouts that hold or paid money, not the released ones', async () => {
  const market = await openMarket(stack);
  const { orderId, id } = await pending(market);
  expect(await refundPage(market, orderId)).toMatchObject({ cashPaid: 9_000, refundableCash: 5_000, payout: { id, closeReason: null, providerTransactionId: null } });
  await stack.http.post(`/v1/payouts/${id}/cancel`).set(bearer(market.seller)).expect(200);
  const cancelled = await settled(market, id, 'CANCELLED');
  expect(cancelled.closeReason).toBe('SELLER_CANCELLED');
  expect((await refundPage(market, orderId)).refundableCash).toBe(9_000);

  const again = await market.createPayout({ orderId, amount: 4_500 }).expect(201);
  await stack.http.post(`/v1/payouts/${again.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
  const paid = await settled(market, again.body.id, 'PAID');
  expect(paid.closeReason).toBeNull();
  expect(paid.providerTransactionId).toMatch(/^sbx_/);
  expect(await refundPage(market, orderId)).toMatchObject({ refundableCash: 4_500, paidOut: 4_500 });
  const transfer = await stack.orm.em.fork().findOneOrFail(SandboxTransaction, { idempotencyKey: `payout:${again.body.id}` });
  expect(transfer).toMatchObject({ memo: '小额打款', transactionId: paid.providerTransactionId });
});

test('an order closed while its payout awaits the buyer cancels it: system, ORDER_CLOSED, released, both told', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const { orderId, id } = await pending(market);
  await pushOrder(market, orderId, { status: 'CLOSED' }).expect(200);
  const cancelled = await settled(market, id, 'CANCELLED');
  expect(cancelled).toMatchObject({ closeReason: 'ORDER_CLOSED', confirmedAt: null });
  expect(cancelled.timeline).toContainEqual(expect.objectContaining({ type: 'CANCELLED', actor: 'system' }));
  expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
  const late = await stack.http.post(`/v1/payouts/${id}/confirm`).set(bearer(market.buyer)).expect(409);
  expect(late.body.error.code).toBe('PAYOUT_NOT_AWAITING_CONFIRMATION');
  const cards = await eventually(async () => {
    const found = await stack.orm.em.fork().find(Notification, { payoutId: id, kind: 'PAYOUT_OUTCOME' });
    return found.length === 2 ? found : undefined;
  });
  expect(cards.map((c) => c.recipientRole).sort()).toEqual(['buyer', 'seller']);
  await expectBalanced(market);
});

test('a refund within refundableCash leaves the payout alone; one beyond it cancels it (ORDER_REFUNDED)', async () => {
  const market = await openMarket(stack);
  const { orderId, id } = await pending(market);
  await pushOrder(market, orderId, { totalAmount: 5_000, cashPaid: 4_000, nonCashPaid: 1_000 }).expect(200);
  expect((await refundPage(market, orderId)).refundableCash).toBe(0);
  expect((await payoutOf(market, id)).status).toBe('AWAITING_CONFIRMATION');
  await pushOrder(market, orderId, { totalAmount: 4_999, cashPaid: 3_999, nonCashPaid: 1_000 }).expect(200);
  const cancelled = await settled(market, id, 'CANCELLED');
  expect(cancelled.closeReason).toBe('ORDER_REFUNDED');
  await expectBalanced(market);
});

test('a payout whose confirmation was recorded completes although the order closes after it', async () => {
  const market = await openMarket(stack);
  const { orderId, id } = await pending(market);
  await stack.http.post(`/v1/payouts/${id}/confirm`).set(bearer(market.buyer)).expect(200);
  await pushOrder(market, orderId, { status: 'CLOSED' }).expect(200);
  expect(await settled(market, id, 'PAID')).toMatchObject({ closeReason: null });
  expect((await refundPage(market, orderId)).refundableCash).toBe(5_000);
});

test('the process dies between the order commit and the tell: the payout still ends CANCELLED', async () => {
  const market = await openMarket(stack);
  const swept = await pending(market);
  const confirmedAfter = await pending(market);
  // What the order handler commits, without the signal it sends after the commit: the state a
  // process killed between the two leaves behind.
  const closed = { sellerId: market.sellerId, buyerId: market.buyerId, status: 'CLOSED' as const, paymentType: 'STANDARD' as const, totalAmountFen: 10_000, cashPaidFen: 9_000, nonCashPaidFen: 1_000 };
  await upsertOrder(stack.orm.em.fork(), swept.orderId, closed, new Date());
  await upsertOrder(stack.orm.em.fork(), confirmedAfter.orderId, closed, new Date());
  // The buyer confirms after the order's commit: the confirmation loses, whatever the sweep does.
  const answer = await stack.http.post(`/v1/payouts/${confirmedAfter.id}/confirm`).set(bearer(market.buyer));
  expect([200, 409]).toContain(answer.status);
  expect(await settled(market, confirmedAfter.id, 'CANCELLED')).toMatchObject({ closeReason: 'ORDER_CLOSED', confirmedAt: null });
  // Nobody confirms the other: the worker's sweep tells its workflow within seconds.
  expect(await settled(market, swept.id, 'CANCELLED')).toMatchObject({ closeReason: 'ORDER_CLOSED' });
  expect((await market.account()).balance.held).toBe(0);
  await expectBalanced(market);
});

test('confirmations racing order closes: a payout is paid only when its confirmation was recorded first', async () => {
  const market = await openMarket(stack);
  const payouts = await Promise.all(Array.from({ length: 6 }, () => pending(market, 1_000)));
  await Promise.all(payouts.flatMap(({ orderId, id }) => [
    stack.http.post(`/v1/payouts/${id}/confirm`).set(bearer(market.buyer)),
    pushOrder(market, orderId, { status: 'CLOSED' }).expect(200),
  ]));
  for (const { id } of payouts) {
    const end = await eventually(async () => {
      const payout = await payoutOf(market, id);
      return ['PAID', 'CANCELLED'].includes(payout.status) ? payout : undefined;
    });
    if (end.status === 'CANCELLED') expect(end).toMatchObject({ closeReason: 'ORDER_CLOSED', confirmedAt: null });
    else expect(end.confirmedAt).not.toBeNull();
  }
  await expectBalanced(market);
});

test('an order with a payout keeps its seller and buyer: ORDER_PARTIES_LOCKED, and nothing changes', async () => {
  const market = await openMarket(stack);
  const { orderId, id } = await pending(market);
  const refused = await pushOrder(market, orderId, { buyerId: 'someone-else', status: 'CLOSED' }).expect(409);
  expect(refused.body.error.code).toBe('ORDER_PARTIES_LOCKED');
  // Not closed (the payout still awaits its buyer), and still the buyer's order.
  expect(await refundPage(market, orderId)).toMatchObject({ cashPaid: 9_000, payout: { id, status: 'AWAITING_CONFIRMATION' } });
  const free = await market.order();
  await pushOrder(market, free, { buyerId: 'someone-else' }).expect(200);
});

test('a FAILED payout frees its order, like a cancelled one', async () => {
  const market = await openMarket(stack);
  await SandboxProvider.setFaults(stack.orm, { refuseBuyerIds: [market.buyerId] });
  try {
    const { orderId, id } = await pending(market);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await stack.http.post(`/v1/payouts/${id}/confirm`).set(bearer(market.buyer)).expect(200);
    expect(await settled(market, id, 'FAILED')).toMatchObject({ closeReason: 'TRANSFER_REFUSED' });
    expect((await refundPage(market, orderId)).refundableCash).toBe(9_000);
    await market.createPayout({ orderId, amount: 1_000 }).expect(201);
  } finally {
    await SandboxProvider.setFaults(stack.orm, {});
  }
});
