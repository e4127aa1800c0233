/**
 * Tenancy (SPEC §8, README "Decisions"): another tenant's payout or order answers 404 `NOT_FOUND`,
 * never 403, so that existence does not leak; lists, statements and batches never show another
 * tenant's rows. And the sub-account permission (SPEC §2): read on every request, revocation
 * effective on the very next one, and never more than payouts and records.
 */
import { bearer, openMarket, type Market } from '../support/scenario';
import { startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
/** Seller A's world: the victim. */
let a: Market;
/** Seller B's world: the other tenant, with a granted sub-account. */
let b: Market;
let aOrder: string;
let aPayout: string;
let bOrder: string;
let bPayout: string;
let bSub: string;
let bSubId: string;
let otherBuyer: string;

beforeAll(async () => {
  stack = await startStack();
  [a, b] = await Promise.all([openMarket(stack, { reserveFen: 10_000 }), openMarket(stack, { reserveFen: 10_000 })]);
  [aOrder, bOrder] = await Promise.all([a.order(), b.order()]);
  const [aCreated, bCreated] = await Promise.all([
    a.createPayout({ orderId: aOrder, amount: 1_000 }).expect(201),
    b.createPayout({ orderId: bOrder, amount: 2_000 }).expect(201),
  ]);
  [aPayout, bPayout] = [aCreated.body.id, bCreated.body.id];
  bSubId = uniqueId('sub');
  bSub = await stack.token(bSubId, 'sub_account', b.sellerId);
  await stack.http.put(`/v1/sub-accounts/${bSubId}/permissions`).set(bearer(b.seller)).send({ payout: true }).expect(200);
  otherBuyer = await stack.token(uniqueId('buyer'), 'buyer');
});
afterAll(() => stack.stop());

function expectNotFound(res: { status: number; body: { error?: { code: string; message: string } } }) {
  expect(res.status).toBe(404);
  expect(res.body.error?.code).toBe('NOT_FOUND');
}

/** The callers that must never see A's objects, by the roles each operation admits. */
const outsiders = () => ({ 'seller B': b.seller, "B's sub-account": bSub, "B's buyer": b.buyer, 'another buyer': otherBuyer });
type Outsider = keyof ReturnType<typeof outsiders>;

describe("another tenant's payout is 404", () => {
  test.each<[string, string, Outsider[]]>([
    ['GET', '', ['seller B', "B's sub-account", "B's buyer", 'another buyer']],
    ['POST', '/confirm', ["B's buyer", 'another buyer']],
    ['POST', '/decline', ["B's buyer", 'another buyer']],
    ['POST', '/cancel', ['seller B', "B's sub-account"]],
  ])('%s /v1/payouts/{A}%s', async (method, suffix, callers) => {
    for (const caller of callers) {
      const url = `/v1/payouts/${aPayout}${suffix}`;
      const res = method === 'GET' ? await stack.http.get(url).set(bearer(outsiders()[caller])) : await stack.http.post(url).set(bearer(outsiders()[caller]));
      expectNotFound(res);
      // The answer for an existing foreign payout is the answer for one that does not exist.
      expect(res.body.error.message).toBe(`payout ${aPayout} not found`);
    }
    // ...and A's payout was left alone.
    const mine = await stack.http.get(`/v1/payouts/${aPayout}`).set(bearer(a.seller)).expect(200);
    expect(mine.body.status).toBe('AWAITING_CONFIRMATION');
  });
});

describe("another tenant's order is 404", () => {
  test('eligibility of one order', async () => {
    for (const caller of [b.seller, bSub]) expectNotFound(await stack.http.get(`/v1/orders/${aOrder}/payout-eligibility`).set(bearer(caller)));
  });

  test('the refund page of the order', async () => {
    for (const caller of [b.seller, bSub, b.buyer, otherBuyer]) expectNotFound(await stack.http.get(`/v1/orders/${aOrder}/payout`).set(bearer(caller)));
    const own = await stack.http.get(`/v1/orders/${aOrder}/payout`).set(bearer(a.buyer)).expect(200);
    expect(own.body.payout.id).toBe(aPayout);
  });

  test('batch eligibility answers NOT_FOUND for it, with none of its data', async () => {
    for (const caller of [b.seller, bSub]) {
      const res = await stack.http.post('/v1/orders/payout-eligibility').set(bearer(caller)).send({ orderIds: [aOrder, bOrder, 'order-missing'] }).expect(200);
      expect(res.body.items[0]).toEqual({ orderId: aOrder, eligible: false, maxAmount: 0, reasons: ['NOT_FOUND'] });
      expect(res.body.items[0]).toEqual({ ...res.body.items[2], orderId: aOrder });
      expect(res.body.items[1].orderId).toBe(bOrder);
      expect(res.body.items[1].reasons).not.toContain('NOT_FOUND');
    }
  });

  test('a payout on it', async () => {
    for (const caller of [b.seller, bSub]) {
      const res = await stack.http.post('/v1/payouts').set(bearer(caller)).send({ orderId: aOrder, amount: 100, reason: 'OTHER' });
      expectNotFound(res);
    }
    expect((await b.account()).balance).toEqual({ available: 8_000, held: 2_000 });
  });

  test("an Idempotency-Key A used does not replay A's answer to B", async () => {
    const key = uniqueId('shared-key');
    const body = { orderId: aOrder, amount: 100, reason: 'OTHER' };
    // A's request is refused (the order already has A's payout); the refusal is stored under A's key.
    const first = await stack.http.post('/v1/payouts').set(bearer(a.seller)).set('Idempotency-Key', key).send(body).expect(409);
    expect(first.body.error.payoutId).toBe(aPayout);
    expectNotFound(await stack.http.post('/v1/payouts').set(bearer(b.seller)).set('Idempotency-Key', key).send(body));
  });
});

describe('lists and statements show only their own tenant', () => {
  test("B's payout list never shows A's payouts, whatever the filters say", async () => {
    for (const caller of [b.seller, bSub]) {
      for (const query of ['', `?sellerId=${a.sellerId}`, `?orderId=${aOrder}`, `?initiatedBy=${a.sellerId}`, '?status=AWAITING_CONFIRMATION&limit=100']) {
        const res = await stack.http.get(`/v1/payouts${query}`).set(bearer(caller)).expect(200);
        for (const payout of res.body.items) expect(payout.sellerId).toBe(b.sellerId);
        expect(res.body.items.map((p: { id: string }) => p.id)).not.toContain(aPayout);
      }
      // The list is not merely empty: B's own payout is there.
      const own = await stack.http.get('/v1/payouts?limit=100').set(bearer(caller)).expect(200);
      expect(own.body.items.map((p: { id: string }) => p.id)).toContain(bPayout);
    }
  });

  test("B's statement never shows A's movements, even when B names A", async () => {
    const aStatement = await stack.http.get('/v1/payout-account/statement').set(bearer(a.seller)).expect(200);
    const aMovements = aStatement.body.items.map((m: { id: string }) => m.id);
    expect(aMovements.length).toBeGreaterThanOrEqual(2);
    for (const query of ['', `?sellerId=${a.sellerId}`]) {
      const res = await stack.http.get(`/v1/payout-account/statement${query}`).set(bearer(b.seller)).expect(200);
      const ids = res.body.items.map((m: { id: string }) => m.id);
      expect(ids.filter((id: string) => aMovements.includes(id))).toEqual([]);
      expect(res.body.items.map((m: { payoutId: string | null }) => m.payoutId)).not.toContain(aPayout);
    }
  });

  test("a sub-account sees its own seller's account", async () => {
    const res = await stack.http.get('/v1/payout-account').set(bearer(bSub)).expect(200);
    expect(res.body.sellerId).toBe(b.sellerId);
    expect(res.body.balance).toEqual({ available: 8_000, held: 2_000 });
  });

  test("a buyer's list shows only their own payouts", async () => {
    const mine = await stack.http.get('/v1/buyer/payouts?limit=100').set(bearer(a.buyer)).expect(200);
    expect(mine.body.items.map((p: { id: string }) => p.id)).toEqual([aPayout]);
    const other = await stack.http.get('/v1/buyer/payouts?limit=100').set(bearer(otherBuyer)).expect(200);
    expect(other.body.items).toEqual([]);
    const notifications = await stack.http.get('/v1/buyer/notifications?limit=100').set(bearer(otherBuyer)).expect(200);
    expect(notifications.body.items).toEqual([]);
  });

  test("seller B cannot grant or revoke A's sub-account: B's write is B's own row", async () => {
    const aSubId = uniqueId('sub');
    await stack.http.put(`/v1/sub-accounts/${aSubId}/permissions`).set(bearer(a.seller)).send({ payout: true }).expect(200);
    await stack.http.put(`/v1/sub-accounts/${aSubId}/permissions`).set(bearer(b.seller)).send({ payout: false }).expect(200);
    const aSub = await stack.token(aSubId, 'sub_account', a.sellerId);
    await stack.http.get('/v1/payout-account').set(bearer(aSub)).expect(200);
  });

  test('a sub-account token that names another seller than its own is refused', async () => {
    // bSub belongs to B; a token claiming it acts for A (a mis-issued token) gets nothing of A's.
    const forged = await stack.token(bSubId, 'sub_account', a.sellerId);
    const res = await stack.http.get('/v1/payout-account').set(bearer(forged));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });
});

describe('the sub-account permission', () => {
  test('is read on every request: grant → 201, revoke → the very next request 403', async () => {
    const market = await openMarket(stack, { reserveFen: 10_000 });
    const subId = uniqueId('sub');
    const sub = await stack.token(subId, 'sub_account', market.sellerId);
    const grant = (payout: boolean) => stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout }).expect(200);
    const start = async () => stack.http.post('/v1/payouts').set(bearer(sub)).send({ orderId: await market.order(), amount: 100, reason: 'SHIPPING_FEE' });

    const before = await start();
    expect(before.status).toBe(403);
    await grant(true);
    const created = await start();
    expect(created.status).toBe(201);
    expect(created.body.initiatedBy).toBe(subId);
    await grant(false);
    const after = await start();
    expect(after.status).toBe(403);
    expect(after.body.error.code).toBe('FORBIDDEN');
    // Revoked means every operation, reads included.
    expect((await stack.http.get(`/v1/payouts/${created.body.id}`).set(bearer(sub))).status).toBe(403);
    expect((await stack.http.post(`/v1/payouts/${created.body.id}/cancel`).set(bearer(sub))).status).toBe(403);
    await grant(true);
    const cancelled = await stack.http.post(`/v1/payouts/${created.body.id}/cancel`).set(bearer(sub)).expect(200);
    expect(cancelled.body.status).toBe('CANCELLED');
  });

  // Rows are keyed by (seller, sub-account), so B's write on the id never touches A's row.
  test("seller B cannot lock A's sub-account out by setting permissions on its id first", async () => {
    const aSubId = uniqueId('sub');
    await stack.http.put(`/v1/sub-accounts/${aSubId}/permissions`).set(bearer(b.seller)).send({ payout: false });
    await stack.http.put(`/v1/sub-accounts/${aSubId}/permissions`).set(bearer(a.seller)).send({ payout: true }).expect(200);
    const aSub = await stack.token(aSubId, 'sub_account', a.sellerId);
    await stack.http.get('/v1/payout-account').set(bearer(aSub)).expect(200);
  });

  test('never lets a sub-account enable, disable, recharge, withdraw, change limits, alerts or permissions', async () => {
    const writes: [method: 'post' | 'put', path: string, body?: object][] = [
      ['post', '/v1/payout-account/enable', { agreement: { authCode: 'OK1' }, limits: { dailyCount: 1, dailyAmount: 1, perPayoutAmount: 1 } }],
      ['post', '/v1/payout-account/disable'],
      ['post', '/v1/payout-account/recharges', { amount: 100 }],
      ['post', '/v1/payout-account/withdrawals', { amount: 100 }],
      ['put', '/v1/payout-account/limits', { dailyCount: 1, dailyAmount: 1, perPayoutAmount: 1 }],
      ['put', '/v1/payout-account/low-balance-alert', { threshold: 1 }],
      ['put', `/v1/sub-accounts/${uniqueId('sub')}/permissions`, { payout: true }],
    ];
    const before = await b.account();
    for (const [method, path, body] of writes) {
      const res = await stack.http[method](path).set(bearer(bSub)).set('Idempotency-Key', uniqueId('k')).send(body ?? {});
      expect([path, res.status, res.body.error?.code]).toEqual([path, 403, 'FORBIDDEN']);
    }
    const after = await b.account();
    expect(after).toEqual(before);
  });
});
