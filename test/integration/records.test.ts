/**
 * SPEC §7 records through HTTP: the list's filters and cursor pages, the buyer's view, the
 * summary by status and China day, and the CSV export (BOM, header, quoting, yuan, Chinese text),
 * on one fixture of payouts in every end state.
 */
import { asId } from '../../domain/id';
import { payoutRows, exceedsRows } from '../../db/payouts/queries';
import { chinaDay } from '../../domain/time';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let a: Market;
let b: Market;
let subId: string;
/** Seller A's payouts, oldest first. */
const made: { id: string; orderId: string; amount: number; status: string; note: string | null; createdAt: string }[] = [];
const TRICKY_NOTE = '降价补差, 含"引号"\n第二行';
const FORMULA_NOTE = '=1+2';

async function payout(market: Market, amount: number, note: string | null, token = market.seller) {
  const orderId = await market.order();
  const res = await stack.http.post('/v1/payouts').set(bearer(token)).send({ orderId, amount, reason: 'PRICE_DIFFERENCE', ...(note ? { note } : {}) }).expect(201);
  return res.body as { id: string; orderId: string; createdAt: string };
}

async function waitFor(market: Market, id: string, status: string) {
  await eventually(async () => (await stack.http.get(`/v1/payouts/${id}`).set(bearer(market.seller))).body.status === status);
}

beforeAll(async () => {
  stack = await startStack();
  [a, b] = await Promise.all([openMarket(stack), openMarket(stack)]);
  subId = uniqueId('sub');
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(a.seller)).send({ payout: true }).expect(200);
  const sub = await stack.token(subId, 'sub_account', a.sellerId);
  const plan: [number, string | null, string, string?][] = [
    [4_500, TRICKY_NOTE, 'PAID'], [1_000, null, 'DECLINED'], [300, null, 'CANCELLED'], [200, null, 'AWAITING_CONFIRMATION', sub], [123, FORMULA_NOTE, 'AWAITING_CONFIRMATION'],
  ];
  for (const [amount, note, status, token] of plan) {
    const created = await payout(a, amount, note, token);
    made.push({ ...created, amount, status, note });
  }
  await stack.http.post(`/v1/payouts/${made[0].id}/confirm`).set(bearer(a.buyer)).expect(200);
  await stack.http.post(`/v1/payouts/${made[1].id}/decline`).set(bearer(a.buyer)).expect(200);
  await stack.http.post(`/v1/payouts/${made[2].id}/cancel`).set(bearer(a.seller)).expect(200);
  await waitFor(a, made[0].id, 'PAID');
  await payout(b, 777, null);
});
afterAll(() => stack.stop());

const list = (token: string, query: Record<string, string | number> = {}) => stack.http.get('/v1/payouts').set(bearer(token)).query(query).expect(200);
const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((p) => p.id);
const newestFirst = () => [...made].reverse().map((p) => p.id);

describe('the payout list', () => {
  test('filters by status, date range, order and operator, newest first', async () => {
    expect(ids(await list(a.seller))).toEqual(newestFirst());
    expect(ids(await list(a.seller, { status: 'AWAITING_CONFIRMATION' }))).toEqual([made[4].id, made[3].id]);
    expect(ids(await list(a.seller, { orderId: made[1].orderId }))).toEqual([made[1].id]);
    expect(ids(await list(a.seller, { initiatedBy: subId }))).toEqual([made[3].id]);
    expect(ids(await list(a.seller, { createdFrom: made[2].createdAt }))).toEqual([made[4].id, made[3].id, made[2].id]);
    expect(ids(await list(a.seller, { createdTo: made[2].createdAt }))).toEqual([made[1].id, made[0].id]);
    expect(ids(await list(a.seller, { createdFrom: made[1].createdAt, createdTo: made[3].createdAt, status: 'CANCELLED' }))).toEqual([made[2].id]);
    // Another seller's order is simply not among the seller's records.
    expect(ids(await list(b.seller, { orderId: made[1].orderId }))).toEqual([]);
  });

  test('cursor pages of a bounded size walk every record once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page++) {
      const res = await list(a.seller, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...ids(res));
      cursor = res.body.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(newestFirst());
    expect(cursor).toBeNull();
    const tooBig = await stack.http.get('/v1/payouts').set(bearer(a.seller)).query({ limit: 101 }).expect(400);
    expect(tooBig.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'query.limit' });
    const garbage = await stack.http.get('/v1/payouts').set(bearer(a.seller)).query({ cursor: 'bm90LWEtY3Vyc29y' }).expect(400);
    expect(garbage.body.error.code).toBe('VALIDATION_ERROR');
  });

  test('buyers see only their own payouts, with the status filter', async () => {
    const mine = await stack.http.get('/v1/buyer/payouts').set(bearer(a.buyer)).expect(200);
    expect(ids(mine)).toEqual(newestFirst());
    const paid = await stack.http.get('/v1/buyer/payouts').set(bearer(a.buyer)).query({ status: 'PAID' }).expect(200);
    expect(ids(paid)).toEqual([made[0].id]);
    const theirs = await stack.http.get('/v1/buyer/payouts').set(bearer(b.buyer)).expect(200);
    expect(theirs.body.items.map((p: { sellerId: string }) => p.sellerId)).toEqual([b.sellerId]);
    await stack.http.get(`/v1/payouts/${made[0].id}`).set(bearer(b.buyer)).expect(404);
    await stack.http.get('/v1/payouts').set(bearer(a.buyer)).expect(403);
  });
});

describe('the summary', () => {
  const byStatus = [
    { status: 'AWAITING_CONFIRMATION', count: 2, amount: 323 },
    { status: 'PAID', count: 1, amount: 4_500 },
    { status: 'DECLINED', count: 1, amount: 1_000 },
    { status: 'CANCELLED', count: 1, amount: 300 },
  ];

  test('counts and sums by status and China day over the last 30 days by default', async () => {
    const res = await stack.http.get('/v1/payouts/summary').set(bearer(a.seller)).expect(200);
    expect(res.body).toMatchObject({ sellerId: a.sellerId, total: { count: 5, amount: 6_123 }, byStatus });
    expect(Date.parse(res.body.createdTo) - Date.parse(res.body.createdFrom)).toBe(30 * 86_400_000);
    expect(chinaDay(new Date(res.body.createdTo))).toBe(chinaDay(new Date(Date.now() + 86_400_000)));
    // A run across China midnight splits the payouts over two days; the days still add up.
    const days = res.body.byDay as { day: string; count: number; amount: number }[];
    expect(days.map((d) => d.day)).toEqual([...new Set(made.map((p) => chinaDay(new Date(p.createdAt))))]);
    expect(days.reduce((sum, d) => sum + d.amount, 0)).toBe(6_123);
    expect(days.reduce((sum, d) => sum + d.count, 0)).toBe(5);
  });

  test('sub-accounts see their seller, auditors whom they name or everyone', async () => {
    const sub = await stack.token(subId, 'sub_account', a.sellerId);
    const viaSub = await stack.http.get('/v1/payouts/summary').set(bearer(sub)).expect(200);
    expect(viaSub.body.total).toEqual({ count: 5, amount: 6_123 });
    const named = await stack.http.get('/v1/payouts/summary').set(bearer(a.auditor)).query({ sellerId: b.sellerId }).expect(200);
    expect(named.body).toMatchObject({ sellerId: b.sellerId, total: { count: 1, amount: 777 }, byStatus: [{ status: 'AWAITING_CONFIRMATION', count: 1, amount: 777 }] });
    const everyone = await stack.http.get('/v1/payouts/summary').set(bearer(a.auditor)).expect(200);
    expect(everyone.body.sellerId).toBeNull();
    expect(everyone.body.total.count).toBeGreaterThanOrEqual(6);
    await stack.http.get('/v1/payouts/summary').set(bearer(a.buyer)).expect(403);
  });

  test('an explicit range counts only its payouts; a bad range is refused', async () => {
    const range = { createdFrom: made[1].createdAt, createdTo: made[3].createdAt };
    const res = await stack.http.get('/v1/payouts/summary').set(bearer(a.seller)).query(range).expect(200);
    expect(res.body).toMatchObject({ ...range, total: { count: 2, amount: 1_300 } });
    const tooLong = await stack.http.get('/v1/payouts/summary').set(bearer(a.seller))
      .query({ createdFrom: '2025-01-01T00:00:00Z', createdTo: '2026-01-03T00:00:00Z' }).expect(400);
    expect(tooLong.body.error).toMatchObject({ code: 'VALIDATION_ERROR', field: 'query.createdFrom' });
    const backwards = await stack.http.get('/v1/payouts/summary').set(bearer(a.seller)).query({ createdFrom: made[3].createdAt, createdTo: made[1].createdAt }).expect(400);
    expect(backwards.body.error.code).toBe('VALIDATION_ERROR');
    await stack.http.get('/v1/payouts/summary').set(bearer(a.seller)).query({ createdFrom: 'yesterday' }).expect(400);
  });
});

/** RFC 4180: fields split on commas and CRLF, quoted fields may hold both, `""` is a quote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ',') {
      row.push(field);
      field = '';
    } else if (!quoted && c === '\r' && text[i + 1] === '\n') {
      rows.push([...row, field]);
      row = [];
      field = '';
      i++;
    } else {
      field += c;
    }
  }
  return rows;
}

function exportCsv(token: string, query: Record<string, string> = {}) {
  return stack.http.get('/v1/payouts/export.csv').set(bearer(token)).query(query)
    .buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    });
}

describe('the CSV export', () => {
  test('UTF-8 with BOM, a header, RFC 4180 quoting, yuan with two decimals, Chinese text intact', async () => {
    const res = await exportCsv(a.seller).expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const bytes = res.body as Buffer;
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const [header, ...rows] = parseCsv(bytes.subarray(3).toString('utf8'));
    expect(header).toEqual(['id', 'orderId', 'sellerId', 'buyerId', 'amountYuan', 'reason', 'note', 'status', 'initiatedBy', 'chinaDay', 'createdAt', 'expiresAt', 'confirmedAt', 'paidAt', 'closedAt', 'approvalExpiresAt', 'approvedAt']);
    const column = (name: string) => rows.map((r) => r[header.indexOf(name)]);
    expect(column('id')).toEqual(newestFirst());
    expect(column('amountYuan')).toEqual(['1.23', '2.00', '3.00', '10.00', '45.00']);
    expect(column('status')).toEqual(['AWAITING_CONFIRMATION', 'AWAITING_CONFIRMATION', 'CANCELLED', 'DECLINED', 'PAID']);
    expect(column('note')).toEqual([`'${FORMULA_NOTE}`, '', '', '', TRICKY_NOTE]);
    expect(column('initiatedBy')[1]).toBe(subId);
    expect(column('chinaDay')[4]).toBe(chinaDay(new Date(made[0].createdAt)));
    expect(column('createdAt')[4]).toBe(made[0].createdAt);
    expect(column('paidAt')[4]).not.toBe('');
    expect(column('paidAt')[0]).toBe('');
  });

  test('takes the list filters; auditors name a seller; sub-accounts and buyers may not export', async () => {
    const paid = parseCsv((await exportCsv(a.seller, { status: 'PAID' }).expect(200)).body.subarray(3).toString('utf8'));
    expect(paid.slice(1).map((r) => r[0])).toEqual([made[0].id]);
    const audited = parseCsv((await exportCsv(a.auditor, { sellerId: b.sellerId }).expect(200)).body.subarray(3).toString('utf8'));
    expect(audited.slice(1).map((r) => [r[2], r[4]])).toEqual([[b.sellerId, '7.77']]);
    const empty = parseCsv((await exportCsv(a.seller, { createdFrom: '2000-01-01T00:00:00Z', createdTo: '2000-01-02T00:00:00Z' }).expect(200)).body.subarray(3).toString('utf8'));
    expect(empty).toHaveLength(1);
    await exportCsv(await stack.token(subId, 'sub_account', a.sellerId)).expect(403);
    await exportCsv(a.buyer).expect(403);
  });

  test('reads in keyset pages, stops at its row bound, and refuses an export past it', async () => {
    const rows: string[] = [];
    for await (const row of payoutRows(stack.orm.em.fork(), { sellerId: asId(a.sellerId) }, { pageSize: 2 })) rows.push(row.id);
    expect(rows).toEqual(newestFirst());
    const capped: string[] = [];
    for await (const row of payoutRows(stack.orm.em.fork(), { sellerId: asId(a.sellerId) }, { pageSize: 2, rowsMax: 3 })) capped.push(row.id);
    expect(capped).toEqual(newestFirst().slice(0, 3));
    expect(await exceedsRows(stack.orm.em.fork(), { sellerId: asId(a.sellerId) }, 4)).toBe(true);
    expect(await exceedsRows(stack.orm.em.fork(), { sellerId: asId(a.sellerId) }, 5)).toBe(false);
  });
});
