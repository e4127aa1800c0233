/**
 * SPEC §4 under concurrency, through HTTP: the reserve transaction serialises one seller's payouts,
 * so concurrent requests can never pass a cap, overdraw the reserve or pay one order twice.
 */
import { payoutWorkflowId } from '../../api/payout-gateway';
import { IdempotencyRecord } from '../../db/common/entities';
import { checkInvariants } from '../../db/ledger/invariants';
import { openMarket, type Market } from '../support/scenario';
import { startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

function codes(responses: { status: number; body: { error?: { code: string } } }[]) {
  const tally: Record<string, number> = {};
  for (const r of responses) {
    const key = r.status === 201 ? '201' : r.body.error!.code;
    tally[key] = (tally[key] ?? 0) + 1;
  }
  return tally;
}

async function balanced(market: Market) {
  expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
}

test('20 concurrent requests on one order make exactly one payout', async () => {
  const market = await openMarket(stack);
  const orderId = await market.order();
  const responses = await Promise.all(Array.from({ length: 20 }, () => market.createPayout({ orderId, amount: 100 })));
  expect(codes(responses)).toEqual({ '201': 1, ORDER_ALREADY_PAID_OUT: 19 });
  const winner = responses.find((r) => r.status === 201)!.body.id;
  for (const r of responses.filter((r) => r.status === 409)) expect(r.body.error.payoutId).toBe(winner);
  expect((await market.account()).today).toMatchObject({ count: 1, amount: 100 });
  await balanced(market);
});

test('30 concurrent payouts under a daily count limit of 10 make exactly 10', async () => {
  const market = await openMarket(stack, { limits: { dailyCount: 10, dailyAmount: 500_000, perPayoutAmount: 100_000 } });
  const orders = await Promise.all(Array.from({ length: 30 }, () => market.order()));
  const responses = await Promise.all(orders.map((orderId) => market.createPayout({ orderId, amount: 10 })));
  expect(codes(responses)).toEqual({ '201': 10, DAILY_COUNT_LIMIT_REACHED: 20 });
  expect((await market.account()).today).toMatchObject({ count: 10, amount: 100 });
  await balanced(market);
});

test('concurrent payouts never pass the daily amount limit', async () => {
  const market = await openMarket(stack, { limits: { dailyCount: 100, dailyAmount: 5_000, perPayoutAmount: 4_500 } });
  const orders = await Promise.all(Array.from({ length: 12 }, () => market.order()));
  const responses = await Promise.all(orders.map((orderId) => market.createPayout({ orderId, amount: 1_000 })));
  expect(codes(responses)).toEqual({ '201': 5, DAILY_AMOUNT_LIMIT_REACHED: 7 });
  expect((await market.account()).today).toMatchObject({ count: 5, amount: 5_000 });
});

test('concurrent payouts never hold more than the available balance', async () => {
  const market = await openMarket(stack, { reserveFen: 5_000 });
  const orders = await Promise.all(Array.from({ length: 10 }, () => market.order()));
  const responses = await Promise.all(orders.map((orderId) => market.createPayout({ orderId, amount: 1_000 })));
  expect(codes(responses)).toEqual({ '201': 5, INSUFFICIENT_RESERVE: 5 });
  expect((await market.account()).balance).toEqual({ available: 0, held: 5_000 });
  await balanced(market);
});

test('one Idempotency-Key sent 10 times at once makes one payout and one answer', async () => {
  const market = await openMarket(stack);
  const orderId = await market.order();
  const key = uniqueId('idem');
  const responses = await Promise.all(Array.from({ length: 10 }, () => market.createPayout({ orderId, amount: 200 }, { 'Idempotency-Key': key })));
  expect(codes(responses)).toEqual({ '201': 10 });
  expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
  expect((await market.account()).balance).toMatchObject({ held: 200 });

  const replay = await market.createPayout({ orderId, amount: 200 }, { 'Idempotency-Key': key }).expect(201);
  expect(replay.body).toEqual(responses[0].body);
  const reused = await market.createPayout({ orderId, amount: 201 }, { 'Idempotency-Key': key }).expect(409);
  expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
});

test('one Idempotency-Key sent at once with two bodies makes one payout; the other body is refused 409 whichever comes first', async () => {
  // Issue 18: a create reads its key instead of claiming it, so both attempts may pass that read;
  // the workflow the key names then refuses the body it did not start with (its reserve validator).
  const market = await openMarket(stack);
  const orderId = await market.order();
  const key = uniqueId('idem');
  const bodies = [200, 201, 200, 201, 200, 201].map((amount) => ({ orderId, amount }));
  const responses = await Promise.all(bodies.map((body) => market.createPayout(body, { 'Idempotency-Key': key })));
  const created = responses.filter((r) => r.status === 201);
  const refused = responses.filter((r) => r.status !== 201);
  expect(new Set(created.map((r) => r.body.amount)).size).toBe(1);
  expect(new Set(created.map((r) => r.body.id)).size).toBe(1);
  expect(created).toHaveLength(3);
  expect(refused.map((r) => [r.status, r.body.error.code])).toEqual(Array(3).fill([409, 'IDEMPOTENCY_KEY_REUSED']));
  expect((await market.account()).balance).toMatchObject({ held: created[0].body.amount });
  const replay = await market.createPayout({ orderId, amount: created[0].body.amount }, { 'Idempotency-Key': key }).expect(201);
  expect(replay.body).toEqual(created[0].body);
});

test('a create replayed after its payout was paid answers the first 201, from the payout the key made', async () => {
  // Issue 18: no row under the key; the payout keeps the body's hash (createdAnswerOf).
  const market = await openMarket(stack);
  const orderId = await market.order();
  const key = uniqueId('idem');
  const first = await market.createPayout({ orderId, amount: 200, note: 'for the shipping' }, { 'Idempotency-Key': key }).expect(201);
  await stack.http.post(`/v1/payouts/${first.body.id}/confirm`).set({ Authorization: `Bearer ${market.buyer}` }).expect(200);
  await stack.client.workflow.getHandle(payoutWorkflowId(first.body.id)).result();
  expect(await stack.orm.em.fork().count(IdempotencyRecord, { idemKey: key })).toBe(0);

  const replay = await market.createPayout({ orderId, amount: 200, note: 'for the shipping' }, { 'Idempotency-Key': key }).expect(201);
  expect(replay.body).toEqual(first.body);
  expect(replay.body.status).toBe('AWAITING_CONFIRMATION');
  const reused = await market.createPayout({ orderId, amount: 200 }, { 'Idempotency-Key': key }).expect(409);
  expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
  expect((await market.account()).balance).toMatchObject({ held: 0 });
  await balanced(market);
});

test('a refusal is replayed for its Idempotency-Key and changes nothing', async () => {
  const market = await openMarket(stack, { reserveFen: 100 });
  const orderId = await market.order();
  const first = await market.createPayout({ orderId, amount: 300 }, { 'Idempotency-Key': 'k-refused' }).expect(422);
  const again = await market.createPayout({ orderId, amount: 300 }, { 'Idempotency-Key': 'k-refused' }).expect(422);
  expect(again.body).toEqual(first.body);
  expect((await market.account()).balance).toEqual({ available: 100, held: 0 });
});
