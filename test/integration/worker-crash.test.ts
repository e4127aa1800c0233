/**
 * Durability: the worker process is killed (SIGKILL) while payouts await confirmation and while
 * transfers are in flight; a new worker takes over and every payout still reaches the end state
 * its decisions call for, with the ledger balanced.
 */
import { checkInvariants } from '../../db/ledger/invariants';
import { stopProcess } from '../../worker/temporal-dev-server';
import { bearer, openMarket } from '../support/scenario';
import { eventually, startStack, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  // Long enough that every decision lands before the deadline even on a loaded machine.
  stack = await startStack({ worker: 'none', confirmWindow: '30s' });
});
afterAll(() => stack.stop());

test('payouts survive a killed worker and end as their decisions say', async () => {
  let worker = stack.startChildWorker();
  const market = await openMarket(stack, { reserveFen: 100_000 });
  const orders = await Promise.all(Array.from({ length: 8 }, () => market.order()));
  const payouts: string[] = [];
  for (const [i, orderId] of orders.entries()) {
    // The child worker may still be starting: retry a 503 with the same key, as a client would.
    const res = await eventually(async () => {
      const answer = await market.createPayout({ orderId, amount: 1_000 + i }, { 'Idempotency-Key': `crash-${orderId}` });
      return answer.status === 503 ? undefined : answer;
    }, 90_000, 500);
    expect(res.status).toBe(201);
    payouts.push(res.body.id);
  }
  const [paidEarly, paidInFlight, paidLate, declined, cancelled, ...expiring] = payouts;
  const buyer = bearer(market.buyer);
  await stack.http.post(`/v1/payouts/${paidEarly}/confirm`).set(buyer).expect(200);
  await stack.http.post(`/v1/payouts/${paidInFlight}/confirm`).set(buyer).expect(200);

  await stopProcess(worker, 'SIGKILL');
  worker = stack.startChildWorker();

  // The new worker may still be starting: 200 if it answers within 2 s, else 202 (held by Temporal).
  const decided = [
    await stack.http.post(`/v1/payouts/${paidLate}/confirm`).set(buyer),
    await stack.http.post(`/v1/payouts/${declined}/decline`).set(buyer),
    await stack.http.post(`/v1/payouts/${cancelled}/cancel`).set(bearer(market.seller)),
  ];
  for (const answer of decided) expect([200, 202]).toContain(answer.status);

  const expected: Record<string, string> = {
    [paidEarly]: 'PAID',
    [paidInFlight]: 'PAID',
    [paidLate]: 'PAID',
    [declined]: 'DECLINED',
    [cancelled]: 'CANCELLED',
    ...Object.fromEntries(expiring.map((id) => [id, 'EXPIRED'])),
  };
  const final = await eventually(async () => {
    const statuses = await Promise.all(
      payouts.map(async (id) => (await stack.http.get(`/v1/payouts/${id}`).set(bearer(market.seller)).expect(200)).body.status as string),
    );
    return statuses.every((s) => !['AWAITING_CONFIRMATION', 'CONFIRMED'].includes(s)) ? statuses : undefined;
  }, 90_000, 500);
  expect(Object.fromEntries(payouts.map((id, i) => [id, final[i]]))).toEqual(expected);

  const paidFen = 1_000 + 1_001 + 1_002;
  expect((await market.account()).balance).toEqual({ available: 100_000 - paidFen, held: 0 });
  const report = await checkInvariants(stack.orm.em.fork(), [market.sellerId]);
  expect(report).toMatchObject({ ledgerBalanced: true, providerMatchesLedger: true, problems: [] });
}, 150_000);
