/**
 * Records the histories that replay.test.ts replays: each end state of every workflow, driven
 * through HTTP on the real stack (Temporal dev server, MariaDB, the real worker and activities)
 * exactly as the integration tests drive it, then fetched from Temporal as they are stored, payloads
 * encrypted with the test key `test-1`.
 *
 *     npm run record:histories                       # every history
 *     HISTORIES=card-delivery npm run record:histories   # only these (comma-separated)
 *
 * Not part of `npm test` (its name does not end in .test.ts): run it only when a history should
 * change on purpose, e.g. a new end state or a new workflow. Re-recording after a workflow change
 * that alters the commands of an existing path hides exactly the break the replay test exists to
 * catch; such a change goes behind `patched()` instead, and the old histories stay (README,
 * "Changing a workflow").
 */
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, NativeConnection } from '@temporalio/worker';
import { payloadDataConverter } from '../../codec/data-converter';
import { payoutWorkflowId } from '../../api/payout-gateway';
import { ReserveTopUp, type TopUpStatus } from '../../db/reserve/top-up-entities';
import { SandboxProvider } from '../../provider/sandbox';
import { createWorker, loadWorkflowBundle, workerSettings } from '../../worker/worker';
import { archiveSweepWorkflow } from '../../workflows/archive-sweep';
import { AUTO_TOP_UP_PATCH, topUpWorkflowId } from '../../workflows/reserve/ask-top-up';
import { reconciliationWorkflow } from '../../workflows/reconciliation';
import { rechargeWorkflowId, withdrawalWorkflowId } from '../../workflows/reserve/movements';
import { bearer, openMarket, sellerKeyId, sellerPayoutId, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';
import { testPayloadKeyring } from '../support/payload-keys';
import { RECORDED_HISTORIES, historyFile, loadHistory, type RecordedHistory } from './histories';

let stack: Stack;
/** The reminder and the deadline pass within seconds. */
let shortWindow: Stack;
/** No worker of its own: the fallback-signal history needs a worker that stops and comes back. */
let workerless: Stack;
beforeAll(async () => {
  [stack, shortWindow, workerless] = await Promise.all([
    startStack({ confirmWindow: '1h' }),
    startStack({ confirmWindow: '3s' }),
    startStack({ confirmWindow: '1h', worker: 'none' }),
  ]);
});
afterAll(() => Promise.all([stack, shortWindow, workerless].map((s) => s.stop())));

const recorded = new Set<string>();
/** `HISTORIES=a,b npm run record:histories` rewrites only these; every other file stays as it is. */
const only = process.env.HISTORIES?.split(',').map((name) => name.trim()).filter(Boolean);

async function record(on: Stack, name: RecordedHistory, workflowId: string): Promise<void> {
  const handle = on.client.workflow.getHandle(workflowId);
  await handle.result().catch(() => undefined);
  const history = await handle.fetchHistory();
  recorded.add(name);
  if (only && !only.includes(name)) return;
  writeFileSync(historyFile(name), `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
}

async function createPayout(market: Market, amount = 1_000): Promise<string> {
  const created = await market.createPayout({ orderId: await market.order(), amount }).expect(201);
  return created.body.id as string;
}

const decide = (on: Stack, id: string, decision: string, token: string) => on.http.post(`/v1/payouts/${id}/${decision}`).set(bearer(token));

test('payout: confirmed and paid; declined; cancelled by the seller', async () => {
  const market = await openMarket(stack);
  const [paid, declined, cancelled] = [await createPayout(market), await createPayout(market), await createPayout(market)];
  await decide(stack, paid, 'confirm', market.buyer).expect(200);
  await decide(stack, declined, 'decline', market.buyer).expect(200);
  await decide(stack, cancelled, 'cancel', market.seller).expect(200);
  await record(stack, 'payout-paid', payoutWorkflowId(paid));
  await record(stack, 'payout-declined', payoutWorkflowId(declined));
  await record(stack, 'payout-cancelled-by-seller', payoutWorkflowId(cancelled));
});

test('payout: the provider refuses the transfer for good', async () => {
  const market = await openMarket(stack);
  await SandboxProvider.setFaults(stack.orm, { refuseBuyerIds: [market.buyerId] });
  try {
    const id = await createPayout(market);
    await decide(stack, id, 'confirm', market.buyer).expect(200);
    await record(stack, 'payout-failed-transfer-refused', payoutWorkflowId(id));
  } finally {
    await SandboxProvider.setFaults(stack.orm, {});
  }
});

test('payout: the order closes while it awaits the buyer', async () => {
  const market = await openMarket(stack);
  const orderId = await market.order();
  const created = await market.createPayout({ orderId, amount: 1_000 }).expect(201);
  await stack.http.put(`/v1/orders/${orderId}`).set(bearer(market.system))
    .send({ sellerId: market.sellerId, buyerId: market.buyerId, status: 'CLOSED', paymentType: 'STANDARD', totalAmount: 10_000, cashPaid: 9_000, nonCashPaid: 1_000 })
    .expect(200);
  await record(stack, 'payout-cancelled-order-changed', payoutWorkflowId(created.body.id));
});

test('payout: refused for an insufficient reserve (the low-reserve card delivered)', async () => {
  const market = await openMarket(stack, { reserveFen: 100 });
  const key = uniqueId('refused');
  const refused = await market.createPayout({ orderId: await market.order(), amount: 500 }, { 'Idempotency-Key': key }).expect(422);
  expect(refused.body.error.code).toBe('INSUFFICIENT_RESERVE');
  await record(stack, 'payout-refused-insufficient-reserve', payoutWorkflowId(sellerPayoutId(market.sellerId, key)));
});

test('payout: expires after the reminder', async () => {
  const market = await openMarket(shortWindow);
  await record(shortWindow, 'payout-expired-after-reminder', payoutWorkflowId(await createPayout(market)));
});

test('payout: confirmed while no worker ran (202, the fallback signal), applied when one comes back', async () => {
  const first = await ownWorker(workerless);
  const market = await openMarket(workerless);
  const id = await createPayout(market);
  await first.stop();
  await decide(workerless, id, 'confirm', market.buyer).expect(202);
  const second = await ownWorker(workerless);
  try {
    await record(workerless, 'payout-confirmed-by-fallback-signal', payoutWorkflowId(id));
  } finally {
    await second.stop();
  }
});

/** A payout confirmed and paid, and one left to expire after its reminder: the two paths a patch of the cards changes. */
async function recordPaidAndExpired(paid: RecordedHistory, expired: RecordedHistory): Promise<void> {
  const market = await openMarket(stack);
  const id = await createPayout(market);
  await decide(stack, id, 'confirm', market.buyer).expect(200);
  await record(stack, paid, payoutWorkflowId(id));
  await record(shortWindow, expired, payoutWorkflowId(await createPayout(await openMarket(shortWindow))));
}

test('payout since the cards-stored-in-line patch: paid; expired after the reminder', async () => {
  // The histories above were recorded before the patch and keep its old path replaying; these two keep the new one.
  await recordPaidAndExpired('payout-paid-cards-in-line', 'payout-expired-cards-in-line');
});

test('payout since the cards-and-deadlines-by-activity patch: paid; expired after the reminder; unapproved (APPROVAL_EXPIRED)', async () => {
  // Every card an ordinary activity, and the release at a deadline too (workflows/payout/versions.ts).
  await recordPaidAndExpired('payout-paid-by-activity', 'payout-expired-by-activity');
  const t = await team(shortWindow);
  await record(shortWindow, 'payout-rejected-approval-expired-by-activity', payoutWorkflowId(await subPayout(shortWindow, t)));
});

test('payout since issue 18 (the buyer\'s card stored with the hold, the outcome\'s with the posting or the release): paid; expired after the reminder', async () => {
  // The workflow only delivers cards its write says it stored; the histories above keep the path where it stores them.
  await recordPaidAndExpired('payout-paid-cards-with-money', 'payout-expired-cards-with-money');
});

test('reconciliation: clean, and a mismatch that sends finance a card', async () => {
  const market = await openMarket(stack);
  await decide(stack, await createPayout(market), 'decline', market.buyer).expect(200);
  const run = (name: RecordedHistory) => {
    const workflowId = uniqueId(name);
    return stack.client.workflow.execute(reconciliationWorkflow, { taskQueue: stack.config.taskQueue, workflowId, args: [{ sellerIds: [market.sellerId], settleGraceMs: 0 }] })
      .then(() => record(stack, name, workflowId));
  };
  await run('reconciliation-clean');
  const connection = stack.orm.em.fork().getConnection();
  await connection.execute('update seller_accounts set available_fen = available_fen + 1 where seller_id = ?', [market.sellerId]);
  try {
    await run('reconciliation-mismatch');
  } finally {
    await connection.execute('update seller_accounts set available_fen = available_fen - 1 where seller_id = ?', [market.sellerId]);
  }
});

test('archive sweep, scoped to a seller with closed payouts', async () => {
  const market = await openMarket(stack);
  await decide(stack, await createPayout(market), 'cancel', market.seller).expect(200);
  const workflowId = uniqueId('archive-sweep');
  await stack.client.workflow.execute(archiveSweepWorkflow, { taskQueue: stack.config.taskQueue, workflowId, args: [{ sellerIds: [market.sellerId] }] });
  await record(stack, 'archive-sweep', workflowId);
});

test('card delivery: the low-balance card of a withdrawal', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(market.seller)).send({ threshold: 5_000 }).expect(200);
  await stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).set('Idempotency-Key', uniqueId('wd')).send({ amount: 6_000 }).expect(201);
  // The API names the workflow after the card; the only card delivery on this task queue is this one.
  const workflowId = await eventually(async () => {
    for await (const run of stack.client.workflow.list({ query: `WorkflowType = 'cardDeliveryWorkflow' AND TaskQueue = '${stack.config.taskQueue}'` })) return run.workflowId;
    return undefined;
  });
  await record(stack, 'card-delivery', workflowId);
});

/** A market whose main account requires approval of a sub-account's payout from ¥10.00 (SPEC §5). */
async function team(on: Stack): Promise<Market & { sub: string }> {
  const market = await openMarket(on);
  const subId = uniqueId('sub');
  await on.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
  await on.http.put('/v1/payout-account/approval-policy').set(bearer(market.seller)).send({ subAccountThreshold: 1_000 }).expect(200);
  return { ...market, sub: await on.token(subId, 'sub_account', market.sellerId) };
}

async function subPayout(on: Stack, t: Market & { sub: string }): Promise<string> {
  const res = await on.http.post('/v1/payouts').set(bearer(t.sub)).send({ orderId: await t.order(), amount: 2_000, reason: 'COMPENSATION' }).expect(201);
  expect(res.body.status).toBe('PENDING_APPROVAL');
  return res.body.id as string;
}

test('payout: approved then paid; rejected; cancelled by the seller while it waits for approval', async () => {
  const t = await team(stack);
  const [approved, rejected, cancelled] = [await subPayout(stack, t), await subPayout(stack, t), await subPayout(stack, t)];
  await decide(stack, approved, 'approve', t.seller).expect(200);
  await decide(stack, approved, 'confirm', t.buyer).expect(200);
  await decide(stack, rejected, 'reject', t.seller).expect(200);
  await decide(stack, cancelled, 'cancel', t.seller).expect(200);
  await record(stack, 'payout-approved-paid', payoutWorkflowId(approved));
  await record(stack, 'payout-rejected', payoutWorkflowId(rejected));
  await record(stack, 'payout-cancelled-pending-approval', payoutWorkflowId(cancelled));
});

test('payout: unapproved after a third of the window (REJECTED, APPROVAL_EXPIRED)', async () => {
  const t = await team(shortWindow);
  await record(shortWindow, 'payout-rejected-approval-expired', payoutWorkflowId(await subPayout(shortWindow, t)));
});

/** Auto top-up from ¥30.00, ¥100.00 at a time; orders paid ¥400 in cash so a payout may take ¥200.00. */
const AUTO_TOP_UP = { threshold: 3_000, amount: 10_000, dailyMax: 50_000 };
const BIG_ORDER = { totalAmount: 40_000, cashPaid: 40_000, nonCashPaid: 0 };

async function autoTopUpMarket(dailyMax = AUTO_TOP_UP.dailyMax): Promise<Market> {
  const market = await openMarket(stack, { reserveFen: 5_000 });
  await stack.http.put('/v1/payout-account/auto-top-up').set(bearer(market.seller)).send({ ...AUTO_TOP_UP, dailyMax }).expect(200);
  return market;
}

async function bigPayout(market: Market, amount: number): Promise<string> {
  return createPayout({ ...market, order: () => market.order(BIG_ORDER) }, amount);
}

/** The workflow id of the seller's top-up that ended (or will end) in this status. */
async function topUpOf(market: Market, status: TopUpStatus): Promise<string> {
  const topUp = await eventually(() => stack.orm.em.fork().findOne(ReserveTopUp, { sellerId: market.sellerId, status }));
  return topUpWorkflowId(topUp.id);
}

test('a payout whose hold crossed the threshold (the auto-top-up patch, the child) and its top-up: done', async () => {
  const market = await autoTopUpMarket();
  const id = await bigPayout(market, 2_500);
  const topUp = await topUpOf(market, 'DONE');
  await decide(stack, id, 'confirm', market.buyer).expect(200);
  await record(stack, 'payout-paid-after-auto-top-up', payoutWorkflowId(id));
  await record(stack, 'top-up-done', topUp);
  const events = (await stack.client.workflow.getHandle(payoutWorkflowId(id)).fetchHistory()).events ?? [];
  const markers = events.flatMap((e) => Object.values(e.markerRecordedEventAttributes?.details ?? {}).flatMap((d) => d.payloads ?? []));
  expect(markers.some((p) => Buffer.from(p.data ?? []).toString().includes(AUTO_TOP_UP_PATCH))).toBe(true);
  expect(events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId === topUp)).toBe(true);
});

test('top-up: not made because it would pass dailyMax (a card)', async () => {
  const market = await autoTopUpMarket(15_000);
  await bigPayout(market, 2_500);
  await topUpOf(market, 'DONE');
  await bigPayout(market, 10_000);
  await record(stack, 'top-up-skipped-daily-max', await topUpOf(market, 'SKIPPED'));
});

test('top-up: the withholding refused (the setting turned off, a card)', async () => {
  const market = await autoTopUpMarket();
  await SandboxProvider.setFaults(stack.orm, { refuseWithholdSellerIds: [market.sellerId] });
  try {
    // The sandbox reads its faults at most once a second.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await bigPayout(market, 2_500);
    await record(stack, 'top-up-refused', await topUpOf(market, 'REFUSED'));
  } finally {
    await SandboxProvider.setFaults(stack.orm, {});
  }
});

/** A recharge or a withdrawal by the market's seller under a fresh key, answered with `status`; returns its workflow id. */
async function movement(market: Market, operation: 'recharge' | 'withdrawal', amount: number, status: number): Promise<string> {
  const key = uniqueId(operation);
  await stack.http.post(`/v1/payout-account/${operation}s`).set(bearer(market.seller)).set('Idempotency-Key', key).send({ amount }).expect(status);
  const id = sellerKeyId(operation, market.sellerId, key);
  return operation === 'recharge' ? rechargeWorkflowId(id) : withdrawalWorkflowId(id);
}

test('recharge: withheld and credited; withdrawal: paid back, below the alert threshold (the card\'s delivery started as a child)', async () => {
  const market = await openMarket(stack, { reserveFen: 10_000 });
  await record(stack, 'recharge-done', await movement(market, 'recharge', 2_000, 201));
  await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(market.seller)).send({ threshold: 5_000 }).expect(200);
  const withdrawal = await movement(market, 'withdrawal', 8_000, 201);
  await record(stack, 'withdrawal-done-low-balance', withdrawal);
  const events = (await stack.client.workflow.getHandle(withdrawal).fetchHistory()).events ?? [];
  expect(events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowType?.name === 'cardDeliveryWorkflow')).toBe(true);
});

test('recharge: the withholding refused; withdrawal: the pay-back refused (voided), and refused for an insufficient reserve', async () => {
  const market = await openMarket(stack, { reserveFen: 1_000 });
  await record(stack, 'withdrawal-refused-insufficient-reserve', await movement(market, 'withdrawal', 1_001, 422));
  await SandboxProvider.setFaults(stack.orm, { refuseWithholdSellerIds: [market.sellerId], refusePayBackSellerIds: [market.sellerId] });
  try {
    await record(stack, 'recharge-refused', await movement(market, 'recharge', 500, 422));
    await record(stack, 'withdrawal-refused-voided', await movement(market, 'withdrawal', 500, 422));
  } finally {
    await SandboxProvider.setFaults(stack.orm, {});
  }
});

test('every history the replay test expects was recorded, and replays on the code that recorded it', async () => {
  expect([...recorded].sort()).toEqual([...RECORDED_HISTORIES].sort());
  const options = { workflowBundle: await loadWorkflowBundle(), dataConverter: payloadDataConverter(testPayloadKeyring()) };
  for await (const result of Worker.runReplayHistories(options, RECORDED_HISTORIES.map((name) => ({ workflowId: name, history: loadHistory(name) })))) {
    expect([result.workflowId, result.error]).toEqual([result.workflowId, undefined]);
  }
});

/** A worker for the workerless stack's task queue, started and stopped by the test. */
async function ownWorker(on: Stack): Promise<{ stop(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: on.config.temporalAddress! });
  const worker = await createWorker({ connection, orm: on.orm, ...workerSettings(on.config), workflowBundle: await loadWorkflowBundle() });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
