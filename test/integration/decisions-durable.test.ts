/**
 * SPEC §5 "Decisions are durable on arrival", through HTTP on the real stack: with no worker
 * running, confirm, decline and cancel are answered 202 `{ payoutId, decision, receivedAt }` (not
 * 503), recorded in the workflow's history; once a worker starts, each payout ends as its first
 * recorded decision says, and a later decision changes nothing.
 */
import { stopProcess } from '../../worker/temporal-dev-server';
import { bearer, openMarket } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: 'none', confirmWindow: '1h' });
});
afterAll(() => stack.stop());

test('decisions sent while no worker runs are accepted (202) and applied, the first one winning', async () => {
  const worker = stack.startChildWorker();
  const market = await openMarket(stack, { reserveFen: 100_000 });
  const payouts: string[] = [];
  for (const orderId of await Promise.all(Array.from({ length: 4 }, () => market.order()))) {
    // The child worker may still be starting: retry a 503 with the same key, as a client would.
    const res = await eventually(async () => {
      const answer = await market.createPayout({ orderId, amount: 1_000 }, { 'Idempotency-Key': `durable-${orderId}` });
      return answer.status === 503 ? undefined : answer;
    }, 90_000, 500);
    expect(res.status).toBe(201);
    payouts.push(res.body.id);
  }
  await stopProcess(worker, 'SIGKILL');

  const [confirmedFirst, declinedFirst, cancelled, confirmed] = payouts;
  const buyer = bearer(market.buyer);
  const seller = bearer(market.seller);
  const sent = [
    [confirmedFirst, 'confirm', buyer], [confirmedFirst, 'decline', buyer],
    [declinedFirst, 'decline', buyer], [declinedFirst, 'confirm', buyer],
    [cancelled, 'cancel', seller],
    [confirmed, 'confirm', buyer],
  ] as const;
  // No validator runs without a worker: the payout's record still answers anyone but its party 404,
  // and no signal goes out (either would otherwise be `confirmed`'s first decision, and it would
  // not end PAID below).
  const refused = await stack.http.post(`/v1/payouts/${confirmed}/decline`).set(bearer(await stack.token(uniqueId('buyer'), 'buyer'))).expect(404);
  expect(refused.body.error).toMatchObject({ code: 'NOT_FOUND', message: `payout ${confirmed} not found` });
  await stack.http.post(`/v1/payouts/${confirmed}/cancel`).set(bearer(await stack.token(uniqueId('seller'), 'seller'))).expect(404);
  for (const [id, decision, auth] of sent) {
    const answer = await stack.http.post(`/v1/payouts/${id}/${decision}`).set(auth).expect(202);
    expect(answer.body).toEqual({ payoutId: id, decision, receivedAt: expect.any(String) });
  }

  // Nothing moved yet: no worker has applied anything.
  for (const id of payouts) expect((await stack.http.get(`/v1/payouts/${id}`).set(seller).expect(200)).body.status).toBe('AWAITING_CONFIRMATION');

  stack.startChildWorker();
  const expected = { [confirmedFirst]: 'PAID', [declinedFirst]: 'DECLINED', [cancelled]: 'CANCELLED', [confirmed]: 'PAID' };
  const final = await eventually(async () => {
    const statuses = await Promise.all(payouts.map(async (id) => (await stack.http.get(`/v1/payouts/${id}`).set(seller).expect(200)).body.status as string));
    return statuses.every((s) => !['AWAITING_CONFIRMATION', 'CONFIRMED'].includes(s)) ? statuses : undefined;
  }, 90_000, 500);
  expect(Object.fromEntries(payouts.map((id, i) => [id, final[i]]))).toEqual(expected);
  expect((await market.account()).balance).toEqual({ available: 98_000, held: 0 });
}, 150_000);
