/**
 * SPEC §5 end to end through HTTP, on the real Temporal dev server and MariaDB: each end state
 * (PAID, EXPIRED, DECLINED, CANCELLED, FAILED) with the balances after it.
 */
import { SandboxProvider } from '../../provider/sandbox';
import { ProviderUnavailableError } from '../../provider/provider';
import { systemClock } from '../../domain/time';
import { checkInvariants } from '../../db/ledger/invariants';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { payoutWorkflow } from '../../workflows/payout';
import { bearer, openMarket, sellerPayoutId, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ confirmWindow: '4s' });
});
afterAll(() => stack.stop());

async function payoutOf(market: Market, id: string) {
  const res = await stack.http.get(`/v1/payouts/${id}`).set(bearer(market.seller)).expect(200);
  return res.body;
}

async function settled(market: Market, id: string, status: string) {
  return eventually(async () => {
    const payout = await payoutOf(market, id);
    return payout.status === status ? payout : undefined;
  }, 30_000);
}

async function expectLedgerBalanced(market: Market) {
  const report = await checkInvariants(stack.orm.em.fork(), [market.sellerId]);
  expect(report.problems).toEqual([]);
}

test('a confirmed payout is paid: held, then posted to the buyer, with the memo on the statement', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const orderId = await market.order();
  const created = await market.createPayout({ orderId, amount: 4_500, note: '补差价' }).expect(201);
  expect(created.body).toMatchObject({ orderId, amount: 4_500, status: 'AWAITING_CONFIRMATION', sellerId: market.sellerId, buyerId: market.buyerId, initiatedBy: market.sellerId });
  expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(4_000);
  expect((await market.account()).balance).toEqual({ available: 5_500, held: 4_500 });

  const confirmed = await stack.http.post(`/v1/payouts/${created.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
  expect(['CONFIRMED', 'PAID']).toContain(confirmed.body.status);
  const paid = await settled(market, created.body.id, 'PAID');
  expect(paid.confirmedAt).not.toBeNull();
  expect(paid.paidAt).not.toBeNull();
  expect(paid.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['INITIATED', 'NOTIFIED', 'CONFIRMED', 'PAID']));
  expect((await market.account()).balance).toEqual({ available: 5_500, held: 0 });

  const statement = await stack.http.get('/v1/payout-account/statement').set(bearer(market.seller)).expect(200);
  expect(statement.body.items.map((m: { kind: string }) => m.kind)).toEqual(['PAYOUT', 'HOLD', 'RECHARGE']);
  expect(statement.body.items[0]).toMatchObject({ memo: '小额打款', amount: 4_500, availableAfter: 5_500, heldAfter: 0 });
  await expectLedgerBalanced(market);

  const late = await stack.http.post(`/v1/payouts/${created.body.id}/decline`).set(bearer(market.buyer)).expect(409);
  expect(late.body.error.code).toBe('PAYOUT_NOT_AWAITING_CONFIRMATION');
});

test('an unconfirmed payout expires on time and the money returns to the reserve', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const created = await market.createPayout({ orderId: await market.order(), amount: 1_000 }).expect(201);
  const expired = await settled(market, created.body.id, 'EXPIRED');
  expect(Date.parse(expired.closedAt)).toBeGreaterThanOrEqual(Date.parse(expired.expiresAt));
  expect(expired.timeline.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['REMINDED', 'EXPIRED']));
  expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
  // The day's usage still counts the expired payout (SPEC §4.6).
  expect((await market.account()).today).toMatchObject({ count: 1, amount: 1_000 });
  const late = await stack.http.post(`/v1/payouts/${created.body.id}/confirm`).set(bearer(market.buyer)).expect(409);
  expect(late.body.error.code).toBe('PAYOUT_NOT_AWAITING_CONFIRMATION');
  await expectLedgerBalanced(market);
});

test('a declined payout releases the hold; the order stays used up', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const orderId = await market.order();
  const created = await market.createPayout({ orderId, amount: 2_000 }).expect(201);
  const declined = await stack.http.post(`/v1/payouts/${created.body.id}/decline`).set(bearer(market.buyer)).expect(200);
  expect(declined.body.status).toBe('DECLINED');
  expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
  const again = await market.createPayout({ orderId, amount: 100 }).expect(409);
  expect(again.body.error).toMatchObject({ code: 'ORDER_ALREADY_PAID_OUT', payoutId: created.body.id });
  await expectLedgerBalanced(market);
});

test('a cancelled payout releases the hold and frees the order for one new payout', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const orderId = await market.order();
  const created = await market.createPayout({ orderId, amount: 3_000 }).expect(201);
  const cancelled = await stack.http.post(`/v1/payouts/${created.body.id}/cancel`).set(bearer(market.seller)).expect(200);
  expect(cancelled.body.status).toBe('CANCELLED');
  expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
  const second = await market.createPayout({ orderId, amount: 2_500 }).expect(201);
  expect(second.body.status).toBe('AWAITING_CONFIRMATION');
  await stack.http.post(`/v1/payouts/${second.body.id}/cancel`).set(bearer(market.seller)).expect(200);
  await expectLedgerBalanced(market);
});

test('a transfer the provider refuses for good fails the payout and releases the hold', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  await SandboxProvider.setFaults(stack.orm, { refuseBuyerIds: [market.buyerId] });
  try {
    const created = await market.createPayout({ orderId: await market.order(), amount: 700 }).expect(201);
    await stack.http.post(`/v1/payouts/${created.body.id}/confirm`).set(bearer(market.buyer)).expect(200);
    const failed = await settled(market, created.body.id, 'FAILED');
    expect(failed.confirmedAt).not.toBeNull();
    expect(failed.paidAt).toBeNull();
    expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
    await expectLedgerBalanced(market);
  } finally {
    await SandboxProvider.setFaults(stack.orm, {});
  }
});

test('faults set in this process are in force at once, even for a sandbox that has just read none', async () => {
  // The worker's sandbox reads its faults at most once a second; a recharge's workflow may have
  // read "none" a moment before a test sets some. setFaults drops that cache.
  const sandbox = new SandboxProvider(stack.orm, systemClock);
  expect(await sandbox.findTransaction(uniqueId('no-such-key'))).toBeNull();
  await SandboxProvider.setFaults(stack.orm, { failRate: 1 });
  try {
    await expect(sandbox.findTransaction(uniqueId('no-such-key'))).rejects.toThrow(ProviderUnavailableError);
  } finally {
    await SandboxProvider.setFaults(stack.orm, {});
  }
  expect(await sandbox.findTransaction(uniqueId('no-such-key'))).toBeNull();
});

test('a refused attempt holds and counts nothing', async () => {
  const market = await openMarket(stack, { reserveFen: 500 });
  const res = await market.createPayout({ orderId: await market.order(), amount: 600 }).expect(422);
  expect(res.body.error).toMatchObject({ code: 'INSUFFICIENT_RESERVE', available: 500, asked: 600 });
  const account = await market.account();
  expect(account.balance).toEqual({ available: 500, held: 0 });
  expect(account.today).toMatchObject({ count: 0, amount: 0 });
});

describe('a start whose reserve update was lost (Temporal restarting, a worker killed)', () => {
  async function startWithoutUpdate(market: Market, key: string, orderId: string, amountFen: number) {
    const payoutId = sellerPayoutId(market.sellerId, key);
    await stack.client.workflow.start(payoutWorkflow, {
      workflowId: payoutWorkflowId(payoutId),
      taskQueue: stack.config.taskQueue,
      args: [{ payoutId, sellerId: market.sellerId, orderId, amountFen, reason: 'OTHER', note: null, initiatedBy: market.sellerId, confirmWindowMs: 60_000 }],
    });
    return payoutId;
  }

  test('still reserves, and the retry with the same key answers with that payout', async () => {
    const market = await openMarket(stack, { reserveFen: 10_000 });
    const orderId = await market.order();
    const payoutId = await startWithoutUpdate(market, 'lost-update-1', orderId, 300);
    await eventually(async () => (await market.account()).balance.held === 300);
    const retried = await market.createPayout({ orderId, amount: 300, reason: 'OTHER' }, { 'Idempotency-Key': 'lost-update-1' }).expect(201);
    expect(retried.body).toMatchObject({ id: payoutId, status: 'AWAITING_CONFIRMATION', amount: 300 });
  });

  test('a refusal made without a listener is still the answer of the retry', async () => {
    const market = await openMarket(stack, { reserveFen: 100 });
    const orderId = await market.order();
    const payoutId = await startWithoutUpdate(market, 'lost-update-2', orderId, 500);
    await stack.client.workflow.getHandle(payoutWorkflowId(payoutId)).result();
    const retried = await market.createPayout({ orderId, amount: 500, reason: 'OTHER' }, { 'Idempotency-Key': 'lost-update-2' }).expect(422);
    expect(retried.body.error).toMatchObject({ code: 'INSUFFICIENT_RESERVE', available: 100, asked: 500 });
  });
});
