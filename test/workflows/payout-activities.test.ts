/**
 * A few of the payout workflow's activities (activities/payout-activities.ts) run in
 * @temporalio/testing's MockActivityEnvironment against the run's real MariaDB database: what each
 * writes, that each is safe to run twice (Temporal may retry any of them), and that a business
 * refusal crosses into Temporal as a non-retryable failure typed with its SPEC code.
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createPayoutActivities } from '../../activities/payout-activities';
import { Notification } from '../../db/notifications/entities';
import { PayoutEvent } from '../../db/payouts/entities';
import { payoutWithTimeline } from '../../db/payouts/queries';
import { lowReserveCardId } from '../../domain/card-ids';
import type { PayoutWorkflowInput } from '../../domain/payout';
import { systemClock } from '../../domain/time';
import { Notifier } from '../../notify/notifier';
import { SandboxProvider } from '../../provider/sandbox';
import { openMarket, sellerPayoutId, type Market } from '../support/scenario';
import { startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let activities: ReturnType<typeof createPayoutActivities>;
const env = new MockActivityEnvironment();
beforeAll(async () => {
  stack = await startStack();
  // The payout's writes on the worker's ORM of them, as the product runs them: no BEGIN, their writes in one packet each.
  activities = createPayoutActivities({ orm: stack.orm, writes: stack.writes, provider: new SandboxProvider(stack.orm, systemClock), notifier: new Notifier(stack.orm, systemClock, undefined), clock: systemClock });
});
afterAll(() => stack.stop());

/** `env.run`, typed by the activity it runs (the SDK's signature infers neither arguments nor result). */
function run<A extends unknown[], R>(activity: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return env.run<A, R, (...args: A) => Promise<R>>(activity, ...args);
}

async function request(market: Market, amountFen: number): Promise<PayoutWorkflowInput> {
  const payoutId = sellerPayoutId(market.sellerId, uniqueId('key'));
  return { payoutId, sellerId: market.sellerId, orderId: await market.order(), amountFen, reason: 'OTHER', note: null, initiatedBy: market.sellerId, confirmWindowMs: 60_000 };
}

/** The payout a write answered, without the ids of the cards it stored (the workflow keeps those apart). */
function withoutCards<T extends { storedCards?: string[] }>(written: T): Omit<T, 'storedCards'> {
  const view = { ...written };
  delete view.storedCards;
  return view;
}

test('reservePayout holds the amount once, however often it runs', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const asked = await request(market, 2_500);
  const { storedCards, ...first } = await run(activities.reservePayout, asked, asked.confirmWindowMs);
  const again = await run(activities.reservePayout, asked, asked.confirmWindowMs);
  // The buyer's card is stored with the hold, once: a replay stores nothing and says so.
  expect(storedCards).toEqual([`sent:${asked.payoutId}`]);
  expect(again).toEqual(first);
  expect(await stack.orm.em.fork().count(Notification, { dedupeKey: `sent:${asked.payoutId}` })).toBe(1);
  expect(first).toMatchObject({ id: asked.payoutId, status: 'AWAITING_CONFIRMATION', amount: 2_500, buyerId: market.buyerId });
  expect(Date.parse(first.expiresAt!) - Date.parse(first.createdAt)).toBe(60_000);
  expect((await market.account()).balance).toEqual({ available: 7_500, held: 2_500 });
});

test('reservePayout run again after later steps committed answers the payout as it was reserved', async () => {
  // A workflow task that timed out after its local activities committed runs them again, from the
  // reservation: a confirmation recorded since must not hide the buyer's verdict (it would end unpaid).
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const asked = await request(market, 700);
  const first = withoutCards(await run(activities.reservePayout, asked, asked.confirmWindowMs));
  expect((await run(activities.markConfirmed, asked.payoutId, market.buyerId, Date.now())).status).toBe('CONFIRMED');
  expect(await run(activities.reservePayout, asked, asked.confirmWindowMs)).toEqual(first);
  expect((await run(activities.markConfirmed, asked.payoutId, market.buyerId, Date.now())).status).toBe('CONFIRMED');
  expect((await market.account()).balance).toEqual({ available: 9_300, held: 700 });
});

test('reservePayout refuses an insufficient reserve non-retryably, with the SPEC code, and stores the seller\'s card', async () => {
  const market = await openMarket(stack, { reserveFen: 100 });
  const asked = await request(market, 500);
  const refusal = await run(activities.reservePayout, asked, asked.confirmWindowMs).catch((err: unknown) => err);
  expect(refusal).toBeInstanceOf(ApplicationFailure);
  expect(refusal).toMatchObject({ type: 'INSUFFICIENT_RESERVE', nonRetryable: true });
  expect((await market.account()).balance).toEqual({ available: 100, held: 0 });
  expect(await stack.orm.em.fork().findOne(Notification, { dedupeKey: lowReserveCardId(asked.payoutId) })).toMatchObject({ recipientId: market.sellerId, kind: 'LOW_BALANCE' });
});

test('transferPayout pays once under the payout\'s key, then postPayout closes it PAID; both safe to repeat', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const asked = await request(market, 1_200);
  const reserved = withoutCards(await run(activities.reservePayout, asked, asked.confirmWindowMs));
  // Confirmed from the view the workflow holds (no read of the payout), and again as a replay.
  const confirmed = await run(activities.markConfirmed, asked.payoutId, market.buyerId, Date.now(), reserved);
  expect(confirmed).toEqual({ ...reserved, status: 'CONFIRMED', confirmedAt: expect.any(String) });
  expect(await run(activities.markConfirmed, asked.payoutId, market.buyerId, Date.now(), reserved)).toMatchObject({ status: 'CONFIRMED', confirmedAt: confirmed.confirmedAt });
  const transfer = await run(activities.transferPayout, confirmed);
  expect(await run(activities.transferPayout, confirmed)).toEqual(transfer);
  expect(transfer).toMatchObject({ status: 'SUCCEEDED', transactionId: expect.any(String) });
  const { storedCards, ...paid } = await run(activities.postPayout, confirmed, transfer.status === 'SUCCEEDED' ? transfer.transactionId ?? null : null);
  // The outcome's cards are stored with the posting; a replay posts nothing, stores nothing, and answers the payout PAID.
  expect(storedCards).toEqual([`outcome:${asked.payoutId}:buyer`, `outcome:${asked.payoutId}:seller`]);
  const again = await run(activities.postPayout, confirmed, paid.providerTransactionId);
  expect(again).toMatchObject({ status: 'PAID', paidAt: paid.paidAt });
  expect(again).not.toHaveProperty('storedCards');
  expect(paid).toMatchObject({ id: reserved.id, status: 'PAID', providerTransactionId: transfer.status === 'SUCCEEDED' ? transfer.transactionId : null });
  expect((await market.account()).balance).toEqual({ available: 8_800, held: 0 });
  expect(await stack.orm.em.fork().count(Notification, { payoutId: asked.payoutId, kind: 'PAYOUT_OUTCOME' })).toBe(2);
});

test('releasePayout returns the hold once and records who declined', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const asked = await request(market, 900);
  const reserved = await run(activities.reservePayout, asked, asked.confirmWindowMs);
  const declined = await run(activities.releasePayout, reserved, 'DECLINED', market.buyerId, Date.now());
  expect(await run(activities.releasePayout, reserved, 'DECLINED', market.buyerId, Date.now())).toMatchObject({ status: 'DECLINED', closedAt: declined.closedAt });
  expect(declined).toMatchObject({ status: 'DECLINED', closeReason: 'BUYER_DECLINED' });
  expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
});

test('announceCards stores a moment\'s cards once, at the workflow\'s time, which the timeline shows, however often it runs', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const asked = await request(market, 300);
  const reserved = await run(activities.reservePayout, asked, asked.confirmWindowMs);
  const announcedAtMs = Date.now() - 5_000;
  await run(activities.announceCards, reserved, 'reminder', [], announcedAtMs);
  await run(activities.announceCards, reserved, 'reminder', [], Date.now());
  const em = stack.orm.em.fork();
  expect(await em.find(Notification, { payoutId: asked.payoutId, kind: 'PAYOUT_REMINDER' })).toEqual([expect.objectContaining({ dedupeKey: `reminder:${asked.payoutId}`, recipientId: market.buyerId })]);
  // The card is the moment: REMINDED on the timeline is its createdAt, with no row of its own.
  expect(await em.count(PayoutEvent, { payout: asked.payoutId })).toBe(0);
  const read = await payoutWithTimeline(em, asked.payoutId);
  expect(read?.timeline.filter((e) => e.type === 'REMINDED').map((e) => e.at.getTime())).toEqual([announcedAtMs]);
});
