/**
 * The summary's day tallies (db/payouts/day-tallies.ts) through HTTP on the real stack: payouts
 * spread over five China days and every status, each moved by the real workflows, and the summary
 * (read from the tallies for whole days, from the payouts for the part of a day at a range's ends)
 * answering exactly what counting the payouts one by one answers, for a seller, an auditor naming
 * one, and an auditor over every seller; the tallies agreeing row by row with the payouts while
 * they move and after, and a replayed write counting nothing twice.
 */
import { fromZonedTime } from 'date-fns-tz';
import { tallyDisagreements } from '../../db/payouts/day-tallies';
import { Payout } from '../../db/payouts/entities';
import { postPayout, releasePayout, markConfirmed, toPayoutView } from '../../db/payouts/payouts';
import { asId } from '../../domain/id';
import { PAYOUT_STATUSES } from '../../domain/payout';
import { chinaDay, shiftDay, type Clock } from '../../domain/time';
import { SandboxProvider } from '../../provider/sandbox';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

/** A clock the test moves; only the API's and activities' "now", never workflow time. */
const clock: Clock & { at: Date | null } = { at: null, now: () => clock.at ?? new Date() };
let stack: Stack;
let a: Market & { sub: string };
let b: Market;

/**
 * Two days past, today, two days ahead. A payout made on a past day is already due, so it expires
 * (or its approval does) at once; one made ahead waits, since workflow timers run on real time, so
 * the decisions taken on it (confirm, decline, cancel, approve, reject) are the test's.
 */
const TODAY = chinaDay(new Date());
const [P1, P2, F1, F2, F3] = [-2, -1, 1, 2, 3].map((n) => shiftDay(TODAY, n));
const at = (day: string, time: string) => fromZonedTime(`${day}T${time}`, 'Asia/Shanghai');
const THRESHOLD = 3_000;

interface Made { market: Market; id: string; end: string; amount: number }
const made: Made[] = [];

async function create(market: Market, token: string, when: Date, amount: number, end: string): Promise<string> {
  clock.at = when;
  try {
    const res = await stack.http.post('/v1/payouts').set(bearer(token)).send({ orderId: await market.order(), amount, reason: 'OTHER' }).expect(201);
    made.push({ market, id: res.body.id, end, amount });
    return res.body.id;
  } finally {
    clock.at = null;
  }
}

const act = (path: string, token: string) => stack.http.post(path).set(bearer(token)).expect(200);
const statusOf = async (m: Made) => (await stack.http.get(`/v1/payouts/${m.id}`).set(bearer(m.market.seller)).expect(200)).body.status as string;

beforeAll(async () => {
  stack = await startStack({ clock });
  const market = await openMarket(stack);
  const subId = uniqueId('sub');
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
  await stack.http.put('/v1/payout-account/approval-policy').set(bearer(market.seller)).send({ subAccountThreshold: THRESHOLD }).expect(200);
  a = { ...market, sub: await stack.token(subId, 'sub_account', market.sellerId) };
  b = await openMarket(stack);
});
afterAll(() => stack.stop());

describe('the day tallies', () => {
  beforeAll(async () => {
    // Past days: each ends at once, by its confirm window or its approval window.
    await create(a, a.seller, at(P1, '23:59:59.999'), 600, 'EXPIRED');
    await create(b, b.seller, at(P1, '12:00:00.000'), 900, 'EXPIRED');
    await create(a, a.seller, at(P2, '00:00:00.000'), 700, 'EXPIRED');
    await create(a, a.sub, at(P2, '15:00:00.000'), 4_000, 'REJECTED');
    // Days ahead: decided here.
    const paid = await create(a, a.seller, at(F1, '12:00:00.000'), 500, 'PAID');
    const declined = await create(a, a.seller, at(F1, '23:59:59.999'), 650, 'DECLINED');
    const cancelled = await create(a, a.seller, at(F2, '00:00:00.000'), 750, 'CANCELLED');
    const rejected = await create(a, a.sub, at(F2, '09:00:00.000'), 4_500, 'REJECTED');
    const approved = await create(a, a.sub, at(F2, '09:30:00.000'), 4_400, 'PAID');
    await create(a, a.seller, at(F2, '10:00:00.000'), 300, 'AWAITING_CONFIRMATION');
    await create(a, a.sub, at(F2, '10:00:00.000'), 3_500, 'PENDING_APPROVAL');
    const bPaid = await create(b, b.seller, at(F2, '23:00:00.000'), 1_100, 'PAID');
    // While they move, the tallies and the payouts agree (one statement reads both).
    expect(await disagreements()).toEqual([]);
    await act(`/v1/payouts/${paid}/confirm`, a.buyer);
    await act(`/v1/payouts/${declined}/decline`, a.buyer);
    await act(`/v1/payouts/${cancelled}/cancel`, a.seller);
    await act(`/v1/payouts/${rejected}/reject`, a.seller);
    await act(`/v1/payouts/${approved}/approve`, a.seller);
    await act(`/v1/payouts/${approved}/confirm`, a.buyer);
    await act(`/v1/payouts/${bPaid}/confirm`, b.buyer);
    expect(await disagreements()).toEqual([]);
    // Every transfer confirmed above made before the fault below, which would refuse b's buyer's too.
    for (const m of made) await eventually(async () => (await statusOf(m)) === m.end);
    // A transfer the provider refuses for good: CONFIRMED, then FAILED.
    await SandboxProvider.setFaults(stack.orm, { refuseBuyerIds: [b.buyerId] });
    try {
      const failed = await create(b, b.seller, at(F1, '12:00:00.000'), 1_000, 'FAILED');
      await act(`/v1/payouts/${failed}/confirm`, b.buyer);
      await eventually(async () => (await statusOf(made.at(-1)!)) === 'FAILED');
    } finally {
      await SandboxProvider.setFaults(stack.orm, {});
    }
    for (const m of made) await eventually(async () => (await statusOf(m)) === m.end);
  });

  const disagreements = () => tallyDisagreements(stack.orm.em.fork(), [asId(a.sellerId), asId(b.sellerId)]);

  test('agree row by row with the payouts once every payout has ended or waits', async () => {
    expect(await disagreements()).toEqual([]);
  });

  test("a seller's five days, every status, by status and by day", async () => {
    const res = await summary(a.seller, { createdFrom: at(P1, '00:00').toISOString(), createdTo: at(F3, '00:00').toISOString() });
    expect(res).toMatchObject({
      sellerId: a.sellerId,
      total: { count: 10, amount: 19_900 },
      byStatus: [
        { status: 'PENDING_APPROVAL', count: 1, amount: 3_500 },
        { status: 'AWAITING_CONFIRMATION', count: 1, amount: 300 },
        { status: 'PAID', count: 2, amount: 4_900 },
        { status: 'EXPIRED', count: 2, amount: 1_300 },
        { status: 'DECLINED', count: 1, amount: 650 },
        { status: 'CANCELLED', count: 1, amount: 750 },
        { status: 'REJECTED', count: 2, amount: 8_500 },
      ],
      byDay: [
        { day: P1, count: 1, amount: 600 },
        { day: P2, count: 2, amount: 4_700 },
        { day: F1, count: 2, amount: 1_150 },
        { day: F2, count: 5, amount: 13_450 },
      ],
    });
  });

  /** Ranges on China midnights and off them: whole days only, a part of a day at either end or both, no whole day at all. */
  const ranges: [string, Date, Date][] = [
    ['five whole days', at(P1, '00:00'), at(F3, '00:00')],
    ['a part of a day at each end, payouts on both bounds', at(P1, '12:00:00.000'), at(F2, '00:00:00.001')],
    ['a part of a day at each end, payouts just outside both bounds', at(P1, '12:00:00.001'), at(F2, '00:00:00.000')],
    ['from midnight to inside a day', at(P2, '00:00'), at(F2, '09:30:00.000')],
    ['from inside a day to midnight', at(P1, '23:59:59.999'), at(F2, '00:00')],
    ['within one day', at(P2, '00:00:00.000'), at(P2, '15:00:00.001')],
    ['across one midnight, no whole day', at(F1, '23:59:59.999'), at(F2, '00:00:00.001')],
    ['the two days ahead', at(F1, '00:00'), at(F3, '00:00')],
  ];

  test.each(ranges)('%s: the summary is what counting the payouts one by one says, for a seller and an auditor naming one', async (_name, from, to) => {
    const range = { createdFrom: from.toISOString(), createdTo: to.toISOString() };
    expect(await summary(a.seller, range)).toEqual({ sellerId: a.sellerId, ...range, ...(await countedOneByOne([a.sellerId], from, to)) });
    expect(await summary(a.auditor, { ...range, sellerId: b.sellerId })).toEqual({ sellerId: b.sellerId, ...range, ...(await countedOneByOne([b.sellerId], from, to)) });
  });

  // Other tests of the same run make payouts today, on real time: an auditor's every-seller view
  // is compared over days that only this test writes.
  test.each([
    ['the two days past', at(P1, '00:00'), at(TODAY, '00:00')],
    ['the two days past, off midnight at both ends', at(P1, '12:00:00.000'), at(P2, '23:00:00.000')],
    ['the two days ahead, off midnight at the start', at(F1, '12:00:00.001'), at(F3, '00:00')],
  ])('%s: an auditor over every seller reads the same as counting', async (_name, from, to) => {
    const range = { createdFrom: from.toISOString(), createdTo: to.toISOString() };
    expect(await summary(a.auditor, range)).toEqual({ sellerId: null, ...range, ...(await countedOneByOne(null, from, to)) });
  });

  test('a replayed write counts nothing twice', async () => {
    const em = () => stack.orm.em.fork();
    const paid = made.find((m) => m.end === 'PAID')!;
    const expired = made.find((m) => m.end === 'EXPIRED')!;
    // The posting takes the payout as the workflow holds it after the confirmation.
    const confirmed = { ...toPayoutView(await em().findOneOrFail(Payout, { id: paid.id })), status: 'CONFIRMED' as const };
    await postPayout(em(), confirmed, new Date(), null);
    await markConfirmed(em(), paid.id, paid.market.buyerId, new Date());
    await releasePayout(em(), { id: expired.id, sellerId: expired.market.sellerId }, 'EXPIRED', null, new Date());
    expect(await disagreements()).toEqual([]);
  });
});

async function summary(token: string, query: Record<string, string>) {
  return (await stack.http.get('/v1/payouts/summary').set(bearer(token)).query(query).expect(200)).body;
}

/** `datetime(3)` columns hold UTC. */
const sqlUtc = (instant: Date) => instant.toISOString().slice(0, 23).replace('T', ' ');

/** The summary's answer as the payouts give it, one row each, folded here rather than by the code under test. */
async function countedOneByOne(sellerIds: string[] | null, from: Date, to: Date) {
  const sellers = sellerIds ? `seller_id in (${sellerIds.map(() => '?').join(', ')}) and ` : '';
  const rows: { day: string; status: string; amount_fen: string | number }[] = await stack.orm.em.fork().execute(
    `select date_format(china_day, '%Y-%m-%d') as day, status, amount_fen from payouts where ${sellers}created_at >= ? and created_at < ?`,
    [...(sellerIds ?? []), sqlUtc(from), sqlUtc(to)],
  );
  const add = (tallies: Map<string, { count: number; amount: number }>, key: string, amount: number) => {
    const tally = tallies.get(key) ?? { count: 0, amount: 0 };
    tallies.set(key, { count: tally.count + 1, amount: tally.amount + amount });
  };
  const byStatus = new Map<string, { count: number; amount: number }>();
  const byDay = new Map<string, { count: number; amount: number }>();
  for (const row of rows) {
    add(byStatus, row.status, Number(row.amount_fen));
    add(byDay, row.day, Number(row.amount_fen));
  }
  return {
    total: { count: rows.length, amount: rows.reduce((sum, row) => sum + Number(row.amount_fen), 0) },
    byStatus: PAYOUT_STATUSES.filter((s) => byStatus.has(s)).map((status) => ({ status, ...byStatus.get(status)! })),
    byDay: [...byDay.keys()].sort().map((day) => ({ day, ...byDay.get(day)! })),
  };
}
