/**
 * SPEC §4 and §6 through HTTP: orders from the trade system, eligibility for one order and for a
 * page of them, the refund pages, and the China calendar day from an injected clock.
 */
import { fromZonedTime } from 'date-fns-tz';
import type { Clock } from '../../domain/time';
import { bearer, openMarket } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

/** A clock the test moves; only the API's and activities' "now", never workflow time. */
const clock: Clock & { at: Date | null } = { at: null, now: () => clock.at ?? new Date() };

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ clock });
});
afterAll(() => stack.stop());
afterEach(() => {
  clock.at = null;
});

describe('orders', () => {
  test('the trade system upserts orders and their state changes', async () => {
    const market = await openMarket(stack);
    const orderId = await market.order();
    const res = await stack.http.put(`/v1/orders/${orderId}`).set(bearer(market.system))
      .send({ sellerId: market.sellerId, buyerId: market.buyerId, status: 'SHIPPED', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 })
      .expect(200);
    expect(res.body).toMatchObject({ orderId, status: 'SHIPPED', cashPaid: 9_000 });
  });

  test.each([
    ['parts that do not add up', { totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 999 }, 'body.totalAmount'],
    ['a negative amount', { totalAmount: 10_000, cashPaid: -1, nonCashPaid: 10_001 }, 'body.cashPaid'],
    ['a float amount', { totalAmount: 100.5, cashPaid: 100.5, nonCashPaid: 0 }, 'body.totalAmount'],
    ['an unknown status', { status: 'REFUNDED' }, 'body.status'],
    ['an unknown payment type', { paymentType: 'CASH' }, 'body.paymentType'],
    ['an extra field', { discount: 5 }, 'body.discount'],
  ])('refuses %s and stores nothing', async (_name, patch, field) => {
    const market = await openMarket(stack, { reserveFen: 0 });
    const orderId = uniqueId('order');
    const res = await stack.http.put(`/v1/orders/${orderId}`).set(bearer(market.system))
      .send({ sellerId: market.sellerId, buyerId: market.buyerId, status: 'PAID', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000, ...patch })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field });
    await stack.http.get(`/v1/orders/${orderId}/payout-eligibility`).set(bearer(market.seller)).expect(404);
  });

  test('only the system role pushes orders', async () => {
    const market = await openMarket(stack, { reserveFen: 0 });
    const res = await stack.http.put(`/v1/orders/${uniqueId('o')}`).set(bearer(market.seller))
      .send({ sellerId: market.sellerId, buyerId: market.buyerId, status: 'PAID', paymentType: 'STANDARD', totalAmount: 1, cashPaid: 1, nonCashPaid: 0 })
      .expect(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });
});

describe('eligibility', () => {
  test('one order: eligible with the largest amount, or the reasons', async () => {
    const market = await openMarket(stack, { reserveFen: 100_000 });
    const get = async (orderId: string) => (await stack.http.get(`/v1/orders/${orderId}/payout-eligibility`).set(bearer(market.seller)).expect(200)).body;
    // The seed's example: ¥100 total, ¥90 cash → at most ¥45.
    expect(await get(await market.order())).toMatchObject({ eligible: true, maxAmount: 4_500, reasons: [] });
    expect(await get(await market.order({ status: 'UNPAID' }))).toMatchObject({ eligible: false, maxAmount: 0, reasons: ['NOT_PAID'] });
    expect(await get(await market.order({ status: 'COMPLETED' }))).toMatchObject({ eligible: false, reasons: ['TRADE_FINISHED'] });
    expect(await get(await market.order({ paymentType: 'CHENG_E_SHE' }))).toMatchObject({ eligible: false, reasons: ['UNSUPPORTED_PAYMENT_TYPE'] });
    const paidOut = await market.order();
    await market.createPayout({ orderId: paidOut, amount: 100 }).expect(201);
    expect(await get(paidOut)).toMatchObject({ eligible: false, reasons: ['ORDER_ALREADY_PAID_OUT'] });
  });

  test('maxAmount is bound by the reserve and the remaining daily amount', async () => {
    const market = await openMarket(stack, { reserveFen: 3_000, limits: { dailyCount: 10, dailyAmount: 4_000, perPayoutAmount: 100_000 } });
    const orderId = await market.order();
    const get = async () => (await stack.http.get(`/v1/orders/${orderId}/payout-eligibility`).set(bearer(market.seller)).expect(200)).body;
    expect(await get()).toMatchObject({ eligible: true, maxAmount: 3_000 });
    await stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).send({ amount: 10_000 }).expect(201);
    await market.createPayout({ orderId: await market.order(), amount: 2_500 }).expect(201);
    expect(await get()).toMatchObject({ eligible: true, maxAmount: 1_500 });
  });

  test('a page of up to 100 orders, answered in the order asked; foreign orders are NOT_FOUND', async () => {
    const market = await openMarket(stack);
    const other = await openMarket(stack, { reserveFen: 0 });
    const ids = [await market.order(), await other.order(), await market.order({ status: 'CLOSED' }), 'no-such-order'];
    const res = await stack.http.post('/v1/orders/payout-eligibility').set(bearer(market.seller)).send({ orderIds: ids }).expect(200);
    expect(res.body.items.map((e: { orderId: string; eligible: boolean; reasons: string[] }) => [e.orderId, e.eligible, e.reasons])).toEqual([
      [ids[0], true, []],
      [ids[1], false, ['NOT_FOUND']],
      [ids[2], false, ['TRADE_FINISHED']],
      [ids[3], false, ['NOT_FOUND']],
    ]);
    const tooMany = Array.from({ length: 101 }, (_, i) => `o-${i}`);
    const refused = await stack.http.post('/v1/orders/payout-eligibility').set(bearer(market.seller)).send({ orderIds: tooMany }).expect(400);
    expect(refused.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'body.orderIds' });
  });

  test("another seller's order is 404", async () => {
    const market = await openMarket(stack, { reserveFen: 0 });
    const other = await openMarket(stack, { reserveFen: 0 });
    await stack.http.get(`/v1/orders/${await other.order()}/payout-eligibility`).set(bearer(market.seller)).expect(404);
  });
});

describe('refund pages', () => {
  test('seller, buyer of the order and the system see the payout and the cash still refundable', async () => {
    const market = await openMarket(stack);
    const orderId = await market.order();
    const none = await stack.http.get(`/v1/orders/${orderId}/payout`).set(bearer(market.buyer)).expect(200);
    expect(none.body).toMatchObject({ payout: null, cashPaid: 9_000, paidOut: 0, refundableCash: 9_000 });
    const created = await market.createPayout({ orderId, amount: 4_500 }).expect(201);
    await stack.http.post(`/v1/payouts/${created.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
    await eventually(async () => (await stack.http.get(`/v1/payouts/${created.body.id}`).set(bearer(market.seller))).body.status === 'PAID');
    for (const token of [market.seller, market.buyer, market.system]) {
      const page = await stack.http.get(`/v1/orders/${orderId}/payout`).set(bearer(token)).expect(200);
      expect(page.body).toMatchObject({ payout: { id: created.body.id, amount: 4_500, status: 'PAID' }, paidOut: 4_500, refundableCash: 4_500 });
    }
    const stranger = bearer(await stack.token(uniqueId('buyer'), 'buyer'));
    await stack.http.get(`/v1/orders/${orderId}/payout`).set(stranger).expect(404);
  });
});

describe('the China calendar day', () => {
  test('23:59:59 counts toward one day, 00:00:00 starts the next', async () => {
    const market = await openMarket(stack, { limits: { dailyCount: 1, dailyAmount: 500_000, perPayoutAmount: 100_000 } });
    // A day in the future, so that the workflows' timers (real workflow time) are not already due.
    const [before, after] = ['2031-03-01T23:59:59.999', '2031-03-02T00:00:00.000'].map((t) => fromZonedTime(t, 'Asia/Shanghai'));
    clock.at = before;
    const first = await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(201);
    expect(first.body.createdAt).toBe(before.toISOString());
    const refused = await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(422);
    expect(refused.body.error).toMatchObject({ code: 'DAILY_COUNT_LIMIT_REACHED', limit: 1, used: 1 });
    expect((await market.account()).today).toEqual({ day: '2031-03-01', count: 1, amount: 100 });
    clock.at = after;
    expect((await market.account()).today).toEqual({ day: '2031-03-02', count: 0, amount: 0 });
    await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(201);
    expect((await market.account()).today).toEqual({ day: '2031-03-02', count: 1, amount: 100 });
  });
});
