/**
 * SPEC §5 "The edges", for certain: a real API process is killed (SIGKILL) between the commit of an
 * order update that cancels a payout and its tell to the workflow (the `orderChanged` signal). The
 * API runs with TEST_CRASH_AFTER_ORDER_COMMIT=1, a test-only setting that makes it kill itself at
 * exactly that point. No worker runs meanwhile, so nothing but the database's mark knows.
 * - Order A closed, no decision: once a worker runs, its order-change sweep tells the workflow and
 *   the payout ends CANCELLED, ORDER_CLOSED.
 * - Order B refunded beyond refundableCash, then the buyer confirms (202: no worker): the
 *   confirmation is first in the workflow's history, and markConfirmed's re-check of the order
 *   inside its transaction still cancels the payout, ORDER_REFUNDED, instead of paying it.
 */
import type { ChildProcess } from 'node:child_process';
import { checkInvariants } from '../../db/ledger/invariants';
import { freePort, stopProcess } from '../../worker/temporal-dev-server';
import { startService, waitForHttp } from '../support/processes';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, testEnv, type Stack } from '../support/stack';

let stack: Stack;
const children: ChildProcess[] = [];
beforeAll(async () => {
  stack = await startStack({ worker: 'none' });
});
afterAll(async () => {
  await Promise.all(children.map((child) => stopProcess(child, 'SIGKILL')));
  await stack.stop();
});

const ORDER = { status: 'PAID', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 };

/** An API process of the stack's task queue that dies right after an order update cancelling a payout commits. */
async function crashingApi(): Promise<{ url: string; exited: Promise<NodeJS.Signals | null> }> {
  const port = await freePort();
  const env = { ...testEnv(stack.config.taskQueue, '1h'), PORT: String(port), TEST_CRASH_AFTER_ORDER_COMMIT: '1' };
  const { child } = await startService({ name: 'api', entry: 'api/main.ts', env });
  children.push(child);
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return { url: `http://127.0.0.1:${port}`, exited };
}

/** Sends the order update through a crashing API: the process dies before answering. */
async function pushOrderAndCrash(market: Market, orderId: string, patch: Record<string, unknown>) {
  const api = await crashingApi();
  const answer = await fetch(`${api.url}/v1/orders/${orderId}`, {
    method: 'PUT',
    headers: { ...bearer(market.system), 'content-type': 'application/json' },
    body: JSON.stringify({ sellerId: market.sellerId, buyerId: market.buyerId, ...ORDER, ...patch }),
  }).then((res) => res.status, () => 'no answer');
  expect(answer).toBe('no answer');
  expect(await api.exited).toBe('SIGKILL');
  // The update committed before the process died: the trade system's order is stored.
  const order = await stack.http.get(`/v1/orders/${orderId}`).set(bearer(market.system)).expect(200);
  expect(order.body).toMatchObject(patch);
}

async function payoutOf(market: Market, id: string) {
  return (await stack.http.get(`/v1/payouts/${id}`).set(bearer(market.seller)).expect(200)).body;
}

test('a process killed between the order commit and the tell: the payout still ends CANCELLED', async () => {
  let worker = stack.startChildWorker();
  const market = await openMarket(stack, { reserveFen: 10_000 });
  const create = async (orderId: string) => {
    // The child worker may still be starting: retry a 503 with the same key, as a client would.
    const res = await eventually(async () => {
      const answer = await market.createPayout({ orderId, amount: 4_000 }, { 'Idempotency-Key': `crash-${orderId}` });
      return answer.status === 503 ? undefined : answer;
    }, 90_000, 500);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const [orderA, orderB] = [await market.order(), await market.order()];
  const [payoutA, payoutB] = [await create(orderA), await create(orderB)];
  await stopProcess(worker, 'SIGKILL');

  await pushOrderAndCrash(market, orderA, { status: 'CLOSED' });
  await pushOrderAndCrash(market, orderB, { totalAmount: 3_000, cashPaid: 2_000, nonCashPaid: 1_000 });
  // Told nothing, the workflows still await their buyer.
  expect((await payoutOf(market, payoutA)).status).toBe('AWAITING_CONFIRMATION');
  expect((await payoutOf(market, payoutB)).status).toBe('AWAITING_CONFIRMATION');

  // No worker answers within 2 s: the confirmation is recorded in history (202) before any tell.
  await stack.http.post(`/v1/payouts/${payoutB}/confirm`).set(bearer(market.buyer)).expect(202);

  worker = stack.startChildWorker();
  const ended = await eventually(async () => {
    const [a, b] = [await payoutOf(market, payoutA), await payoutOf(market, payoutB)];
    return a.status !== 'AWAITING_CONFIRMATION' && b.status !== 'AWAITING_CONFIRMATION' && !['CONFIRMED'].includes(b.status) ? [a, b] : undefined;
  }, 90_000, 500);
  expect(ended[0]).toMatchObject({ status: 'CANCELLED', closeReason: 'ORDER_CLOSED' });
  expect(ended[1]).toMatchObject({ status: 'CANCELLED', closeReason: 'ORDER_REFUNDED', providerTransactionId: null });
  expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
  expect((await checkInvariants(stack.orm.em.fork(), [market.sellerId])).problems).toEqual([]);
  await stopProcess(worker);
}, 240_000);
