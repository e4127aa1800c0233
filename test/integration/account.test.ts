/**
 * SPEC §2–§3, §7–§8: the seller's reserve account through HTTP against the real database —
 * enabling, limits, recharge and withdrawal with their idempotency, disabling, the low-balance
 * alert, sub-accounts, the account view and the statement.
 */
import { Notification } from '../../db/notifications/entities';
import { checkInvariants } from '../../db/ledger/invariants';
import { SandboxProvider } from '../../provider/sandbox';
import { DEFAULT_LIMITS, bearer, openMarket } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

async function newSeller() {
  const sellerId = uniqueId('seller');
  return { sellerId, auth: bearer(await stack.token(sellerId, 'seller')) };
}

describe('enable and limits', () => {
  test('enabling signs the agreement and sets limits; the view shows caps, balances and today', async () => {
    const { auth, sellerId } = await newSeller();
    const before = await stack.http.get('/v1/payout-account').set(auth).expect(200);
    expect(before.body).toMatchObject({ sellerId, enabled: false, agreementSigned: false, limits: null, balance: { available: 0, held: 0 } });
    const res = await stack.http.post('/v1/payout-account/enable').set(auth).send({ agreement: { authCode: 'OK-1' }, limits: DEFAULT_LIMITS }).expect(200);
    expect(res.body).toMatchObject({
      enabled: true,
      agreementSigned: true,
      limits: DEFAULT_LIMITS,
      systemCaps: { dailyCount: 1_000, dailyAmount: 500_000, perPayoutAmount: 100_000 },
      today: { count: 0, amount: 0 },
    });
    expect(res.body.today.day).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  test('a refused authorisation code changes nothing', async () => {
    const { auth } = await newSeller();
    const res = await stack.http.post('/v1/payout-account/enable').set(auth).send({ agreement: { authCode: 'DENY-1' }, limits: DEFAULT_LIMITS }).expect(422);
    expect(res.body.error).toMatchObject({ code: 'AGREEMENT_REFUSED', providerCode: 'AUTH_CODE_REFUSED' });
    expect((await stack.http.get('/v1/payout-account').set(auth).expect(200)).body.enabled).toBe(false);
  });

  test.each([
    ['dailyCount', { ...DEFAULT_LIMITS, dailyCount: 1_001 }, 1_000],
    ['dailyAmount', { ...DEFAULT_LIMITS, dailyAmount: 500_001 }, 500_000],
    ['perPayoutAmount', { ...DEFAULT_LIMITS, perPayoutAmount: 100_001 }, 100_000],
  ])('a %s above its system cap is refused on enable and on change', async (field, limits, cap) => {
    const { auth } = await newSeller();
    const refused = await stack.http.post('/v1/payout-account/enable').set(auth).send({ agreement: { authCode: 'OK' }, limits }).expect(422);
    expect(refused.body.error).toMatchObject({ code: 'LIMIT_ABOVE_SYSTEM_CAP', field, limit: cap });
    await stack.http.post('/v1/payout-account/enable').set(auth).send({ agreement: { authCode: 'OK' }, limits: DEFAULT_LIMITS }).expect(200);
    const change = await stack.http.put('/v1/payout-account/limits').set(auth).send(limits).expect(422);
    expect(change.body.error.code).toBe('LIMIT_ABOVE_SYSTEM_CAP');
    const atCap = await stack.http.put('/v1/payout-account/limits').set(auth).send({ ...limits, [field]: cap }).expect(200);
    expect(atCap.body.limits[field]).toBe(cap);
  });

  test('limits cannot be set before enabling', async () => {
    const { auth } = await newSeller();
    const res = await stack.http.put('/v1/payout-account/limits').set(auth).send(DEFAULT_LIMITS).expect(422);
    expect(res.body.error.code).toBe('AGREEMENT_REQUIRED');
  });

  test('a payout without the tool enabled is FEATURE_DISABLED; disabling stops new payouts while pending ones finish', async () => {
    const market = await openMarket(stack);
    const pending = await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(201);
    await stack.http.post('/v1/payout-account/disable').set(bearer(market.seller)).expect(200);
    const refused = await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(409);
    expect(refused.body.error.code).toBe('FEATURE_DISABLED');
    await stack.http.post(`/v1/payouts/${pending.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
    await eventually(async () => (await stack.http.get(`/v1/payouts/${pending.body.id}`).set(bearer(market.seller))).body.status === 'PAID');
    const unknownSeller = await newSeller();
    const noAccount = await stack.http.post('/v1/payouts').set(unknownSeller.auth).send({ orderId: 'nope', amount: 1, reason: 'OTHER' }).expect(404);
    expect(noAccount.body.error.code).toBe('NOT_FOUND');
  });
});

describe('recharge and withdrawal', () => {
  test('recharge needs the agreement', async () => {
    const { auth } = await newSeller();
    const res = await stack.http.post('/v1/payout-account/recharges').set(auth).send({ amount: 100 }).expect(422);
    expect(res.body.error.code).toBe('AGREEMENT_REQUIRED');
  });

  test('concurrent recharges with one key make one movement; another body with the key is refused', async () => {
    const market = await openMarket(stack, { reserveFen: 0 });
    const key = uniqueId('rc');
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).set('Idempotency-Key', key).send({ amount: 2_500 })),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect((await market.account()).balance).toEqual({ available: 2_500, held: 0 });
    const reused = await stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).set('Idempotency-Key', key).send({ amount: 9 }).expect(409);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const [withheld] = await stack.orm.em.fork().getConnection().execute(
      "select count(*) as n, sum(amount_fen) as fen from sandbox_transactions where seller_id = ? and kind = 'WITHHOLD'", [market.sellerId]);
    expect({ n: Number(withheld.n), fen: Number(withheld.fen) }).toEqual({ n: 1, fen: 2_500 });
  });

  test('a provider failure leaves no half-done recharge; the retry with the same key credits once', async () => {
    const market = await openMarket(stack, { reserveFen: 0 });
    await SandboxProvider.setFaults(stack.orm, { failRate: 1 });
    try {
      await new Promise((resolve) => setTimeout(resolve, 1_100)); // the provider re-reads its faults each second
      const failed = await stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).set('Idempotency-Key', 'rc-retry').send({ amount: 700 }).expect(503);
      expect(failed.body.error.code).toBe('SERVICE_UNAVAILABLE');
      expect((await market.account()).balance.available).toBe(0);
    } finally {
      await SandboxProvider.setFaults(stack.orm, {});
    }
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).set('Idempotency-Key', 'rc-retry').send({ amount: 700 }).expect(201);
    expect((await market.account()).balance.available).toBe(700);
  });

  test('a pay-back the provider does not answer: 503, the debit stays and the workflow pays back once it answers; the same key answers 201', async () => {
    const market = await openMarket(stack, { reserveFen: 1_000 });
    const withdraw = () => stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).set('Idempotency-Key', 'wd-outage').send({ amount: 600 });
    await SandboxProvider.setFaults(stack.orm, { failRate: 1 });
    try {
      expect((await withdraw().expect(503)).body.error.code).toBe('SERVICE_UNAVAILABLE');
      // Debited before the provider was asked: a racing payout cannot spend it meanwhile.
      expect((await market.account()).balance.available).toBe(400);
    } finally {
      await SandboxProvider.setFaults(stack.orm, {});
    }
    const paid = await withdraw().expect(201);
    expect(paid.body).toMatchObject({ kind: 'WITHDRAWAL', amount: 600, availableAfter: 400 });
    const [paidBack] = await stack.orm.em.fork().getConnection().execute(
      "select count(*) as n from sandbox_transactions where seller_id = ? and kind = 'PAYBACK'", [market.sellerId]);
    expect(Number(paidBack.n)).toBe(1);
    expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
  });

  test('withdrawal pays back available, never held money', async () => {
    const market = await openMarket(stack, { reserveFen: 1_000 });
    await market.createPayout({ orderId: await market.order(), amount: 600 }).expect(201);
    const tooMuch = await stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).send({ amount: 401 }).expect(422);
    expect(tooMuch.body.error).toMatchObject({ code: 'INSUFFICIENT_RESERVE', available: 400, asked: 401 });
    const ok = await stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).set('Idempotency-Key', 'wd-1').send({ amount: 400 }).expect(201);
    expect(ok.body).toMatchObject({ kind: 'WITHDRAWAL', amount: 400, availableAfter: 0, heldAfter: 600 });
    await stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).set('Idempotency-Key', 'wd-1').send({ amount: 400 }).expect(201);
    expect((await market.account()).balance).toEqual({ available: 0, held: 600 });
    expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
  });

  test('refused for good by the provider: a recharge credits nothing, a withdrawal is voided; the same key answers the same', async () => {
    const market = await openMarket(stack, { reserveFen: 1_000 });
    await SandboxProvider.setFaults(stack.orm, { refuseWithholdSellerIds: [market.sellerId], refusePayBackSellerIds: [market.sellerId] });
    try {
      const recharge = () => stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).set('Idempotency-Key', 'rc-refused').send({ amount: 300 });
      const refusedRecharge = await recharge().expect(422);
      expect(refusedRecharge.body.error).toMatchObject({ code: 'PROVIDER_REFUSED', providerCode: 'INSUFFICIENT_FUNDS' });
      const withdraw = () => stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).set('Idempotency-Key', 'wd-refused').send({ amount: 400 });
      const refusedWithdrawal = await withdraw().expect(422);
      expect(refusedWithdrawal.body.error).toMatchObject({ code: 'PROVIDER_REFUSED', providerCode: 'ACCOUNT_FROZEN' });
      expect((await withdraw().expect(422)).body).toEqual(refusedWithdrawal.body);
      expect((await recharge().expect(422)).body).toEqual(refusedRecharge.body);
    } finally {
      await SandboxProvider.setFaults(stack.orm, {});
    }
    expect((await market.account()).balance).toEqual({ available: 1_000, held: 0 });
    const statement = await stack.http.get('/v1/payout-account/statement').set(bearer(market.seller)).expect(200);
    expect(statement.body.items.map((m: { kind: string; amount: number }) => [m.kind, m.amount])).toEqual([['WITHDRAWAL_VOID', 400], ['WITHDRAWAL', 400], ['RECHARGE', 1_000]]);
    expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
  });

  test('a withdrawal racing a payout: neither overdraws', async () => {
    for (let round = 0; round < 3; round++) {
      const market = await openMarket(stack, { reserveFen: 1_000 });
      const orderId = await market.order();
      const [payout, withdrawal] = await Promise.all([
        market.createPayout({ orderId, amount: 800 }),
        stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).send({ amount: 800 }),
      ]);
      expect([payout.status, withdrawal.status].sort()).toEqual([201, 422]);
      const balance = (await market.account()).balance;
      expect(balance.available + balance.held).toBe(payout.status === 201 ? 1_000 : 200);
      expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
    }
  });
});

describe('low balance', () => {
  test('a payout refused for INSUFFICIENT_RESERVE notifies the seller', async () => {
    const market = await openMarket(stack, { reserveFen: 100 });
    await market.createPayout({ orderId: await market.order(), amount: 200 }).expect(422);
    const cards = await stack.orm.em.fork().find(Notification, { recipientId: market.sellerId, kind: 'LOW_BALANCE' });
    expect(cards).toHaveLength(1);
    expect(cards[0].payload).toMatchObject({ reason: 'INSUFFICIENT_RESERVE', available: 100 });
  });

  test('falling below the threshold notifies once, at the crossing', async () => {
    const market = await openMarket(stack, { reserveFen: 1_000 });
    const set = await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(market.seller)).send({ threshold: 500 }).expect(200);
    expect(set.body.lowBalanceThreshold).toBe(500);
    await market.createPayout({ orderId: await market.order(), amount: 400 }).expect(201); // 600 left: above
    await market.createPayout({ orderId: await market.order(), amount: 200 }).expect(201); // 400 left: crossed
    await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(201); // 300 left: still below
    const cards = await stack.orm.em.fork().find(Notification, { recipientId: market.sellerId, kind: 'LOW_BALANCE' });
    expect(cards.map((c) => c.payload)).toEqual([expect.objectContaining({ reason: 'BELOW_THRESHOLD', available: 400, threshold: 500 })]);
  });
});

describe('sub-accounts', () => {
  test('a sub-account starts payouts only while it holds the permission, and never manages the account', async () => {
    const market = await openMarket(stack);
    const subId = uniqueId('sub');
    const sub = bearer(await stack.token(subId, 'sub_account', market.sellerId));
    const orderId = await market.order();
    const body = { orderId, amount: 100, reason: 'SHIPPING_FEE' };
    expect((await stack.http.post('/v1/payouts').set(sub).send(body).expect(403)).body.error.code).toBe('FORBIDDEN');
    await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
    const created = await stack.http.post('/v1/payouts').set(sub).send(body).expect(201);
    expect(created.body.initiatedBy).toBe(subId);
    await stack.http.get('/v1/payouts').set(sub).expect(200);
    for (const [method, path, payload] of [
      ['post', '/v1/payout-account/enable', { agreement: { authCode: 'X' }, limits: DEFAULT_LIMITS }],
      ['put', '/v1/payout-account/limits', DEFAULT_LIMITS],
      ['post', '/v1/payout-account/disable', undefined],
      ['post', '/v1/payout-account/recharges', { amount: 1 }],
      ['post', '/v1/payout-account/withdrawals', { amount: 1 }],
      ['put', `/v1/sub-accounts/${subId}/permissions`, { payout: true }],
    ] as const) {
      const res = await stack.http[method](path).set(sub).send(payload);
      expect([path, res.status]).toEqual([path, 403]);
    }
    await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout: false }).expect(200);
    await stack.http.get('/v1/payouts').set(sub).expect(403);
    await stack.http.post('/v1/payouts').set(sub).send({ ...body, orderId: await market.order() }).expect(403);
  });

  test("another seller's grant on the same id touches only its own row", async () => {
    const a = await openMarket(stack);
    const b = await newSeller();
    const subId = uniqueId('sub');
    await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(a.seller)).send({ payout: true }).expect(200);
    await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(b.auth).send({ payout: false }).expect(200);
    const aSub = bearer(await stack.token(subId, 'sub_account', a.sellerId));
    await stack.http.get('/v1/payouts').set(aSub).expect(200);
  });

  test('the list pages in id order, also past ids spelled like instants', async () => {
    const { auth } = await newSeller();
    // findByCursor would read these back as Dates (db/pagination.ts): they page by the explicit key.
    const ids = ['2024-01-01T00:00:00.000Z', '2024-06-01T00:00:00.000Z', 'sub-z'];
    for (const id of [...ids].reverse()) await stack.http.put(`/v1/sub-accounts/${id}/permissions`).set(auth).send({ payout: true }).expect(200);
    const seen: string[] = [];
    let cursor: string | null = '';
    for (let page = 0; cursor !== null && page < ids.length + 1; page++) {
      const { body } = (await stack.http.get(`/v1/sub-accounts?limit=1${cursor ? `&cursor=${cursor}` : ''}`).set(auth).expect(200)) as { body: { items: { id: string }[]; nextCursor: string | null } };
      seen.push(...body.items.map((sub) => sub.id));
      cursor = body.nextCursor;
    }
    expect(seen).toEqual(ids);
    expect(cursor).toBeNull();
  });
});

describe('statement', () => {
  test('every movement with amount, balances after, time and memo, newest first, in bounded pages', async () => {
    const market = await openMarket(stack, { reserveFen: 5_000 });
    const created = await market.createPayout({ orderId: await market.order(), amount: 300 }).expect(201);
    await stack.http.post(`/v1/payouts/${created.body.id}/cancel`).set(bearer(market.seller)).expect(200);
    await stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).send({ amount: 1_000 }).expect(201);
    const first = await stack.http.get('/v1/payout-account/statement?limit=2').set(bearer(market.seller)).expect(200);
    expect(first.body.items.map((m: { kind: string }) => m.kind)).toEqual(['WITHDRAWAL', 'RELEASE']);
    expect(first.body.items[1]).toMatchObject({ memo: '小额打款', amount: 300, payoutId: created.body.id, availableAfter: 5_000, heldAfter: 0 });
    const second = await stack.http.get(`/v1/payout-account/statement?limit=2&cursor=${first.body.nextCursor}`).set(bearer(market.seller)).expect(200);
    expect(second.body.items.map((m: { kind: string }) => m.kind)).toEqual(['HOLD', 'RECHARGE']);
    expect(second.body.nextCursor).toBeNull();
    await stack.http.get('/v1/payout-account/statement?limit=101').set(bearer(market.seller)).expect(400);
    const auditor = bearer(await stack.token('auditor-x', 'auditor'));
    const audited = await stack.http.get(`/v1/payout-account/statement?sellerId=${market.sellerId}`).set(auditor).expect(200);
    expect(audited.body.items).toHaveLength(4);
    expect((await stack.http.get('/v1/payout-account/statement').set(auditor).expect(400)).body.error.field).toBe('query.sellerId');
  });
});
