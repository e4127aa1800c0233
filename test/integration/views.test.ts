/**
 * SPEC §8, the views users asked for, through HTTP against the real stack: the seller's cards and
 * marking cards read (buyer and seller), the sub-account list, an order by its number, the
 * statement's filters and its CSV, the payout list's `reason` and `buyerId` filters, and one cursor
 * shape and `limit` bound for every list. Each with its bad inputs.
 */
import { statementExceedsRows, statementRows } from '../../db/reserve/accounts';
import { asId } from '../../domain/id';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let a: Market;
let b: Market;
let subId: string;
let sub: string;

beforeAll(async () => {
  stack = await startStack();
  [a, b] = await Promise.all([openMarket(stack, { reserveFen: 20_000 }), openMarket(stack, { reserveFen: 5_000 })]);
  subId = uniqueId('sub');
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(a.seller)).send({ payout: true }).expect(200);
  sub = await stack.token(subId, 'sub_account', a.sellerId);
});
afterAll(() => stack.stop());

const cursorOf = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');

/** Cancels a new payout of `market` and waits for the seller's outcome card. */
async function cancelledPayout(market: Market, amount: number): Promise<string> {
  const payout = (await market.createPayout({ orderId: await market.order(), amount }).expect(201)).body;
  await stack.http.post(`/v1/payouts/${payout.id}/cancel`).set(bearer(market.seller)).expect(200);
  await eventually(async () => {
    const res = await stack.http.get('/v1/seller/notifications').set(bearer(market.seller)).expect(200);
    return res.body.items.some((n: { payoutId: string; kind: string }) => n.payoutId === payout.id && n.kind === 'PAYOUT_OUTCOME');
  });
  return payout.id;
}

describe("the seller's cards", () => {
  let payoutId: string;
  beforeAll(async () => {
    payoutId = await cancelledPayout(a, 1_000);
    // A withdrawal that takes available below the threshold sends the low-balance card.
    await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(a.seller)).send({ threshold: 19_000 }).expect(200);
    await stack.http.post('/v1/payout-account/withdrawals').set(bearer(a.seller)).set('Idempotency-Key', uniqueId('wd')).send({ amount: 2_000 }).expect(201);
  });

  test('the seller and its sub-account see the outcome and low-balance cards, newest first, unread', async () => {
    for (const token of [a.seller, sub]) {
      const res = await stack.http.get('/v1/seller/notifications').set(bearer(token)).expect(200);
      expect(res.body.items.map((n: { kind: string }) => n.kind)).toEqual(['LOW_BALANCE', 'PAYOUT_OUTCOME']);
      expect(res.body.items[1]).toMatchObject({ payoutId, readAt: null, payload: { status: 'CANCELLED' } });
      expect(res.body.items[0].payload).toMatchObject({ available: 18_000, threshold: 19_000 });
      expect(res.body.nextCursor).toBeNull();
    }
  });

  test("a seller never sees another seller's cards, nor a buyer the seller's", async () => {
    const other = await stack.http.get('/v1/seller/notifications').set(bearer(b.seller)).expect(200);
    expect(other.body.items).toEqual([]);
    const buyer = await stack.http.get('/v1/buyer/notifications?limit=100').set(bearer(a.buyer)).expect(200);
    expect(buyer.body.items.every((n: { kind: string }) => n.kind !== 'LOW_BALANCE')).toBe(true);
    await stack.http.get('/v1/seller/notifications').set(bearer(a.buyer)).expect(403);
  });

  test('marking read is idempotent, shared with the sub-account, and drives the unread filter', async () => {
    const [low] = (await stack.http.get('/v1/seller/notifications').set(bearer(a.seller)).expect(200)).body.items;
    const first = await stack.http.post(`/v1/seller/notifications/${low.id}/read`).set(bearer(sub)).expect(200);
    expect(first.body).toMatchObject({ id: low.id, kind: 'LOW_BALANCE' });
    expect(first.body.readAt).not.toBeNull();
    const again = await stack.http.post(`/v1/seller/notifications/${low.id}/read`).set(bearer(a.seller)).expect(200);
    expect(again.body.readAt).toBe(first.body.readAt);
    const unread = await stack.http.get('/v1/seller/notifications?unread=true').set(bearer(a.seller)).expect(200);
    expect(unread.body.items.map((n: { kind: string }) => n.kind)).toEqual(['PAYOUT_OUTCOME']);
    const read = await stack.http.get('/v1/seller/notifications?unread=false').set(bearer(a.seller)).expect(200);
    expect(read.body.items.map((n: { id: number }) => n.id)).toEqual([low.id]);
  });

  test("another's card is 404 and changes nothing; bad ids and filters are 400", async () => {
    const [card] = (await stack.http.get('/v1/seller/notifications?unread=true').set(bearer(a.seller)).expect(200)).body.items;
    for (const [token, path] of [[b.seller, 'seller'], [a.buyer, 'buyer'], [b.buyer, 'buyer']]) {
      const res = await stack.http.post(`/v1/${path}/notifications/${card.id}/read`).set(bearer(token)).expect(404);
      expect(res.body.error.code).toBe('NOT_FOUND');
    }
    const after = (await stack.http.get('/v1/seller/notifications?unread=true').set(bearer(a.seller)).expect(200)).body.items;
    expect(after.map((n: { id: number }) => n.id)).toContain(card.id);
    for (const id of ['0', '-1', 'abc', '1.5', '9007199254740992']) {
      const res = await stack.http.post(`/v1/seller/notifications/${id}/read`).set(bearer(a.seller)).expect(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'path.id' });
    }
    const body = await stack.http.post(`/v1/seller/notifications/${card.id}/read`).set(bearer(a.seller)).send({ read: true }).expect(400);
    expect(body.body.error.field).toBe('body');
    for (const unread of ['yes', '1x', '']) {
      const res = await stack.http.get('/v1/seller/notifications').query({ unread }).set(bearer(a.seller)).expect(400);
      expect(res.body.error.field).toBe('query.unread');
    }
  });
});

describe("the buyer's cards", () => {
  test('marked read once; the unread filter follows', async () => {
    const market = await openMarket(stack, { reserveFen: 5_000 });
    await market.createPayout({ orderId: await market.order(), amount: 100 }).expect(201);
    const [sent] = (await eventually(async () => {
      const res = await stack.http.get('/v1/buyer/notifications').set(bearer(market.buyer)).expect(200);
      return res.body.items.length > 0 && res.body.items;
    })) as { id: number; kind: string; readAt: string | null }[];
    expect(sent).toMatchObject({ kind: 'PAYOUT_SENT', readAt: null });
    const read = await stack.http.post(`/v1/buyer/notifications/${sent.id}/read`).set(bearer(market.buyer)).expect(200);
    expect((await stack.http.post(`/v1/buyer/notifications/${sent.id}/read`).set(bearer(market.buyer)).expect(200)).body.readAt).toBe(read.body.readAt);
    expect((await stack.http.get('/v1/buyer/notifications?unread=true').set(bearer(market.buyer)).expect(200)).body.items).toEqual([]);
    // A seller whose id is the buyer's never reaches the buyer's card: recipients are a role and an id.
    const twin = await stack.token(market.buyerId, 'seller');
    await stack.http.post(`/v1/seller/notifications/${sent.id}/read`).set(bearer(twin)).expect(404);
    expect((await stack.http.get('/v1/seller/notifications').set(bearer(twin)).expect(200)).body.items).toEqual([]);
  });
});

describe('sub-accounts', () => {
  test('the seller lists its own, granted and revoked, in pages by id', async () => {
    const market = await openMarket(stack, { reserveFen: 0 });
    const ids = ['sub-c', 'sub-a', 'sub-b'].map((s) => `${s}-${market.sellerId}`);
    for (const [i, id] of ids.entries()) {
      await stack.http.put(`/v1/sub-accounts/${id}/permissions`).set(bearer(market.seller)).send({ payout: i !== 1 }).expect(200);
    }
    const first = await stack.http.get('/v1/sub-accounts?limit=2').set(bearer(market.seller)).expect(200);
    expect(first.body.items).toEqual([
      { id: ids[1], sellerId: market.sellerId, permissions: { payout: false } },
      { id: ids[2], sellerId: market.sellerId, permissions: { payout: true } },
    ]);
    const second = await stack.http.get('/v1/sub-accounts').query({ limit: 2, cursor: first.body.nextCursor }).set(bearer(market.seller)).expect(200);
    expect(second.body).toEqual({ items: [{ id: ids[0], sellerId: market.sellerId, permissions: { payout: true } }], nextCursor: null });
    const others = await stack.http.get('/v1/sub-accounts?limit=100').set(bearer(b.seller)).expect(200);
    expect(others.body.items.filter((s: { id: string }) => ids.includes(s.id))).toEqual([]);
    await stack.http.get('/v1/sub-accounts').set(bearer(sub)).expect(403);
  });
});

describe('an order by its number', () => {
  test('as the trade system pushed it, to its seller, sub-account and the trade system; 404 to another seller', async () => {
    const orderId = await a.order({ status: 'SHIPPED', totalAmount: 5_000, cashPaid: 4_000, nonCashPaid: 1_000 });
    for (const token of [a.seller, sub, a.system]) {
      const res = await stack.http.get(`/v1/orders/${orderId}`).set(bearer(token)).expect(200);
      expect(res.body).toMatchObject({ orderId, sellerId: a.sellerId, buyerId: a.buyerId, status: 'SHIPPED', paymentType: 'STANDARD', totalAmount: 5_000, cashPaid: 4_000, nonCashPaid: 1_000 });
    }
    const foreign = await stack.http.get(`/v1/orders/${orderId}`).set(bearer(b.seller)).expect(404);
    expect(foreign.body.error.code).toBe('NOT_FOUND');
    await stack.http.get(`/v1/orders/${uniqueId('order')}`).set(bearer(a.seller)).expect(404);
    await stack.http.get(`/v1/orders/${orderId}`).set(bearer(a.buyer)).expect(403);
    expect((await stack.http.get('/v1/orders/bad%20id').set(bearer(a.seller)).expect(400)).body.error.field).toBe('path.orderId');
  });
});

describe('the statement', () => {
  let market: Market;
  let between: { from: string; to: string };
  beforeAll(async () => {
    market = await openMarket(stack, { reserveFen: 3_000 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const from = new Date().toISOString();
    await stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).set('Idempotency-Key', uniqueId('rc')).send({ amount: 1_234 }).expect(201);
    await market.createPayout({ orderId: await market.order(), amount: 500 }).expect(201);
    await new Promise((resolve) => setTimeout(resolve, 20));
    between = { from, to: new Date().toISOString() };
    await stack.http.post('/v1/payout-account/recharges').set(bearer(market.seller)).set('Idempotency-Key', uniqueId('rc')).send({ amount: 99 }).expect(201);
  });

  const statement = (token: string, query: Record<string, string | number>) => stack.http.get('/v1/payout-account/statement').query(query).set(bearer(token));

  test('filters by kind and by [from, to), pages keep the filters', async () => {
    const recharges = await statement(market.seller, { kind: 'RECHARGE' }).expect(200);
    expect(recharges.body.items.map((m: { amount: number }) => m.amount)).toEqual([99, 1_234, 3_000]);
    const window = await statement(market.seller, between).expect(200);
    expect(window.body.items.map((m: { kind: string; amount: number }) => [m.kind, m.amount])).toEqual([['HOLD', 500], ['RECHARGE', 1_234]]);
    const both = await statement(market.seller, { ...between, kind: 'RECHARGE', limit: 1 }).expect(200);
    expect(both.body.items.map((m: { amount: number }) => m.amount)).toEqual([1_234]);
    expect(both.body.nextCursor).toBeNull();
    const page1 = await statement(market.seller, { kind: 'RECHARGE', limit: 2 }).expect(200);
    const page2 = await statement(market.seller, { kind: 'RECHARGE', limit: 2, cursor: page1.body.nextCursor }).expect(200);
    expect(page2.body).toMatchObject({ items: [{ amount: 3_000 }], nextCursor: null });
    const audited = await statement(market.auditor, { sellerId: market.sellerId, kind: 'HOLD' }).expect(200);
    expect(audited.body.items).toHaveLength(1);
  });

  test('bad filters are 400 naming the field', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ kind: 'DEPOSIT' }, 'query.kind'],
      [{ kind: 'recharge' }, 'query.kind'],
      [{ from: '2024-02-30T00:00:00Z' }, 'query.from'],
      [{ to: 'yesterday' }, 'query.to'],
      [{ from: between.to, to: between.from }, 'query.from'],
      [{ from: between.from, to: between.from }, 'query.from'],
    ];
    for (const [query, field] of cases) {
      const res = await statement(market.seller, query).expect(400);
      expect([res.body.error.code, res.body.error.field]).toEqual(['VALIDATION_ERROR', field]);
    }
  });

  function exportCsv(token: string, query: Record<string, string> = {}) {
    return stack.http.get('/v1/payout-account/statement.csv').set(bearer(token)).query(query)
      .buffer(true).parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
  }

  test('as CSV: BOM, header, yuan, the same filters; auditors name the seller', async () => {
    const res = await exportCsv(market.seller).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const bytes = res.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = bytes.subarray(3).toString('utf8').trimEnd().split('\r\n').map((line) => line.split(','));
    expect(header).toEqual(['id', 'kind', 'amountYuan', 'memo', 'payoutId', 'availableAfterYuan', 'heldAfterYuan', 'chinaDay', 'createdAt']);
    expect(rows.map((r) => [r[1], r[2], r[3]])).toEqual([['RECHARGE', '0.99', '准备金充值'], ['HOLD', '5.00', '小额打款'], ['RECHARGE', '12.34', '准备金充值'], ['RECHARGE', '30.00', '准备金充值']]);
    expect(rows[0][5]).toBe('38.33');
    const json = (await statement(market.seller, { limit: 100 }).expect(200)).body.items;
    expect(rows.map((r) => r[0])).toEqual(json.map((m: { id: string }) => m.id));
    const filtered = (await exportCsv(market.seller, { ...between, kind: 'HOLD' }).expect(200)).body.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(filtered.slice(1).map((line: string) => line.split(',')[1])).toEqual(['HOLD']);
    const audited = (await exportCsv(market.auditor, { sellerId: asId(market.sellerId) }).expect(200)).body.subarray(3).toString('utf8').trimEnd().split('\r\n');
    expect(audited).toHaveLength(5);
    expect((await exportCsv(market.auditor).expect(400)).body.toString()).toContain('query.sellerId');
    expect((await exportCsv(market.seller, { kind: 'NOPE' }).expect(400)).body.toString()).toContain('query.kind');
    await exportCsv(sub).expect(403);
    await exportCsv(market.buyer).expect(403);
  });

  test('the export reads keyset pages, stops at its bound and knows when it is past it', async () => {
    const rows: number[] = [];
    for await (const entry of statementRows(stack.orm.em.fork(), { sellerId: asId(market.sellerId) }, { pageSize: 1 })) rows.push(entry.amountFen);
    expect(rows).toEqual([99, 500, 1_234, 3_000]);
    expect(await statementExceedsRows(stack.orm.em.fork(), { sellerId: asId(market.sellerId) }, 3)).toBe(true);
    expect(await statementExceedsRows(stack.orm.em.fork(), { sellerId: asId(market.sellerId) }, 4)).toBe(false);
  });
});

describe('payout list filters', () => {
  test('by reason and by buyer, also in the CSV export', async () => {
    const market = await openMarket(stack, { reserveFen: 10_000 });
    const otherBuyer = uniqueId('buyer');
    const shipping = (await market.createPayout({ orderId: await market.order(), amount: 100, reason: 'SHIPPING_FEE' }).expect(201)).body.id;
    const other = (await market.createPayout({ orderId: await market.order({ buyerId: otherBuyer }), amount: 200 }).expect(201)).body.id;
    const list = (query: Record<string, string>) => stack.http.get('/v1/payouts').query(query).set(bearer(market.seller)).expect(200);
    expect((await list({ reason: 'SHIPPING_FEE' })).body.items.map((p: { id: string }) => p.id)).toEqual([shipping]);
    expect((await list({ buyerId: otherBuyer })).body.items.map((p: { id: string }) => p.id)).toEqual([other]);
    expect((await list({ buyerId: market.buyerId, reason: 'PRICE_DIFFERENCE' })).body.items).toEqual([]);
    const csv = await stack.http.get('/v1/payouts/export.csv').query({ buyerId: otherBuyer }).set(bearer(market.seller)).expect(200);
    expect(csv.text.trimEnd().split('\r\n').slice(1).map((line) => line.split(',')[0])).toEqual([other]);
    for (const [query, field] of [[{ reason: 'REFUND' }, 'query.reason'], [{ buyerId: 'a b' }, 'query.buyerId']] as const) {
      const res = await stack.http.get('/v1/payouts').query(query).set(bearer(market.seller)).expect(400);
      expect(res.body.error.field).toBe(field);
    }
  });
});

describe('every list pages the same way', () => {
  const lists = () => [
    { path: '/v1/payouts', token: a.seller },
    { path: '/v1/buyer/payouts', token: a.buyer },
    { path: '/v1/buyer/notifications', token: a.buyer },
    { path: '/v1/seller/notifications', token: a.seller },
    { path: '/v1/sub-accounts', token: a.seller },
    { path: '/v1/payout-account/statement', token: a.seller },
    { path: '/v1/reconciliations', token: a.auditor },
  ];

  test('limit is 1..100 everywhere, and a page answers items and nextCursor', async () => {
    for (const { path, token } of lists()) {
      const ok = await stack.http.get(`${path}?limit=1`).set(bearer(token)).expect(200);
      expect(Object.keys(ok.body).sort()).toEqual(['items', 'nextCursor']);
      expect(ok.body.items.length).toBeLessThanOrEqual(1);
      for (const limit of ['0', '101', '1.5', 'x']) {
        const res = await stack.http.get(`${path}?limit=${limit}`).set(bearer(token));
        expect([path, res.status, res.body.error?.field]).toEqual([path, 400, 'query.limit']);
      }
    }
  });

  test("a cursor made by hand, or another list's, is 400 on every list", async () => {
    await a.createPayout({ orderId: await a.order(), amount: 100 }).expect(201);
    const payoutCursor = (await stack.http.get('/v1/payouts?limit=1').set(bearer(a.seller)).expect(200)).body.nextCursor;
    expect(payoutCursor).toEqual(expect.any(String));
    const statementCursor = (await stack.http.get('/v1/payout-account/statement?limit=1').set(bearer(a.seller)).expect(200)).body.nextCursor;
    expect(JSON.parse(Buffer.from(statementCursor, 'base64url').toString())).toEqual([expect.any(Number)]);
    const crafted = [
      'not base64!', cursorOf({ id: 1 }), cursorOf([]), cursorOf([1, 2, 3]), cursorOf([{ $gt: 0 }]), cursorOf(['x'.repeat(129)]),
      cursorOf(['2024-01-01T00:00:00Z', 'x']), cursorOf(['0999-01-01T00:00:00.000Z', 'x']), cursorOf([-1]), cursorOf([1.5]), cursorOf([2 ** 53]),
      Buffer.from('{').toString('base64url'),
    ];
    for (const { path, token } of lists()) {
      for (const cursor of crafted) {
        const res = await stack.http.get(path).query({ cursor }).set(bearer(token));
        expect([path, cursor, res.status]).toEqual([path, cursor, 400]);
        expect(res.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'query.cursor' });
      }
    }
    const keyedByNumber = ['/v1/buyer/notifications', '/v1/seller/notifications', '/v1/payout-account/statement'];
    for (const { path, token } of lists().filter((l) => keyedByNumber.includes(l.path))) {
      await stack.http.get(path).query({ cursor: payoutCursor }).set(bearer(token)).expect(400);
    }
    await stack.http.get('/v1/payouts').query({ cursor: statementCursor }).set(bearer(a.seller)).expect(400);
  });
});
