/**
 * Every path of payoutWorkflow with its activities mocked (mock-activities.ts), on the run's
 * Temporal server through @temporalio/testing: one TestWorkflowEnvironment and one worker for the
 * file, the production data converter, and the timers the workflow schedules read from history.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { payloadDataConverter } from '../../codec/data-converter';
import { loadConfig } from '../../config';
import type { PayoutWorkflowInput } from '../../domain/payout';
import { holdLowBalanceCardId, lowReserveCardId } from '../../domain/card-ids';
import { loadWorkflowBundle } from '../../worker/worker';
import {
  cancelUpdate, confirmUpdate, decisionSignal, declineUpdate, orderChangedSignal, payoutWorkflow, progressQuery, reserveUpdate,
} from '../../workflows/payout';
import { testPayloadKeyring } from '../support/payload-keys';
import { eventually, installQuietRuntime, testEnv } from '../support/stack';
import { MockWorld } from './mock-activities';

/** The windows as an operator configures them (PAYOUT_CONFIRM_WINDOW): the default, and a test's few seconds. */
const DEFAULT_WINDOW_MS = loadConfig({ ...testEnv('unused', '3d') }).confirmWindowMs;
const SHORT_WINDOW_MS = loadConfig({ ...testEnv('unused', '3s') }).confirmWindowMs;
const HOUR_MS = 60 * 60 * 1000;

const world = new MockWorld();
const dataConverter = payloadDataConverter(testPayloadKeyring());
let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `wf-test-${randomUUID()}`;

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEST_TEMPORAL_ADDRESS, client: { dataConverter } });
  worker = await newWorker(taskQueue);
  running = worker.run();
});
afterAll(async () => {
  worker.shutdown();
  await running;
  await env.teardown();
});

/** A worker on `queue` with the mocked activities and the run's workflow bundle (made once in global-setup.ts). */
async function newWorker(queue: string): Promise<Worker> {
  return Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle: await loadWorkflowBundle(), dataConverter, activities: world.activities() });
}

function input(confirmWindowMs = DEFAULT_WINDOW_MS): PayoutWorkflowInput {
  const payoutId = `p-${randomUUID()}`;
  return { payoutId, sellerId: 'seller-1', orderId: `o-${payoutId}`, amountFen: 1_000, reason: 'PRICE_DIFFERENCE', note: null, initiatedBy: 'seller-1', confirmWindowMs };
}

/** Starts a payout as the API does (the reserve update observes the reservation) and answers the reserved view. */
async function reserve(payout: PayoutWorkflowInput, queue = taskQueue) {
  const handle = await env.client.workflow.start(payoutWorkflow, { taskQueue: queue, workflowId: `payout-${payout.payoutId}`, args: [payout] });
  return { handle, reserved: await handle.executeUpdate(reserveUpdate, { args: [{}] }) };
}

async function timersOf(handle: WorkflowHandle): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((e) => (e.timerStartedEventAttributes ? [tsToMs(e.timerStartedEventAttributes.startToFireTimeout)] : []));
}

const buyer = { actor: 'buyer-1' };
const seller = { actor: 'seller-1' };

test('the reserve update refuses IDEMPOTENCY_KEY_REUSED for a body other than the one that started the payout, and answers the same body', async () => {
  const keyed = { ...input(), idempotency: { principal: 'seller:seller-1', key: 'k-1', requestHash: 'hash-a' } };
  const { handle, reserved } = await reserve(keyed);
  const refusal = await handle.executeUpdate(reserveUpdate, { args: [{ requestHash: 'hash-b' }] }).catch((err: unknown) => err);
  expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
  expect((refusal as WorkflowUpdateFailedError).cause).toMatchObject({ type: 'IDEMPOTENCY_KEY_REUSED' });
  expect(await handle.executeUpdate(reserveUpdate, { args: [{ requestHash: 'hash-a' }] })).toEqual(reserved);
  // A refused update leaves nothing in history: the two accepted are the first reserve and the same body's.
  const { events } = await handle.fetchHistory();
  expect((events ?? []).filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(2);
  await handle.terminate('test done');
});

test('a refused reservation ends REFUSED with the SPEC code; INSUFFICIENT_RESERVE delivers the low-reserve card', async () => {
  const poor = input();
  world.behave(poor.payoutId, { refuse: { code: 'INSUFFICIENT_RESERVE', message: 'not enough', details: { available: 100, asked: 1_000 } } });
  const handle = await env.client.workflow.start(payoutWorkflow, { taskQueue, workflowId: `payout-${poor.payoutId}`, args: [poor] });
  await expect(handle.executeUpdate(reserveUpdate, { args: [{}] })).rejects.toThrow(WorkflowUpdateFailedError);
  expect(await handle.result()).toEqual({ status: 'REFUSED', code: 'INSUFFICIENT_RESERVE', message: 'not enough', details: { available: 100, asked: 1_000 } });
  // The card's delivery and the refusal's crossing (SPEC §5 automatic top-up) are scheduled together: either may run first.
  expect(world.namesOf(poor.payoutId).sort()).toEqual(['deliverCards', 'recordRefusalCrossing', 'reservePayout']);
  expect(world.callsOf(poor.payoutId).find((c) => c.activity === 'deliverCards')!.args).toEqual([[lowReserveCardId(poor.payoutId)]]);
  expect((await handle.query(progressQuery)).status).toBe('REFUSED');

  const paidOut = input();
  world.behave(paidOut.payoutId, { refuse: { code: 'ORDER_ALREADY_PAID_OUT', message: 'paid out' } });
  const other = await env.client.workflow.start(payoutWorkflow, { taskQueue, workflowId: `payout-${paidOut.payoutId}`, args: [paidOut] });
  expect(await other.result()).toMatchObject({ status: 'REFUSED', code: 'ORDER_ALREADY_PAID_OUT' });
  expect(world.namesOf(paidOut.payoutId)).toEqual(['reservePayout']);
});

test('confirm → PAID: confirmed, transferred with the payout as key, posted with the transaction id; cards sent and told', async () => {
  const payout = input();
  const { handle, reserved } = await reserve(payout);
  expect(reserved).toMatchObject({ id: payout.payoutId, status: 'AWAITING_CONFIRMATION' });
  expect((await handle.executeUpdate(confirmUpdate, { args: [buyer] })).status).toBe('CONFIRMED');
  expect(await handle.result()).toEqual({ status: 'PAID' });
  // The buyer's card goes out beside the wait, so the confirmation may come before or after it.
  const names = world.namesOf(payout.payoutId);
  expect(names.filter((n) => n !== 'announceCards')).toEqual(['reservePayout', 'markConfirmed', 'transferPayout', 'postPayout']);
  expect(names.at(-1)).toBe('announceCards');
  const announced = world.callsOf(payout.payoutId).filter((c) => c.activity === 'announceCards').map((c) => c.args.slice(1, 3));
  expect(announced).toEqual([['sent', [holdLowBalanceCardId(payout.payoutId)]], ['outcome', []]]);
  expect(world.callsOf(payout.payoutId).find((c) => c.activity === 'postPayout')!.args[1]).toBe(`tx-${payout.payoutId}`);
  expect(await handle.query(progressQuery)).toMatchObject({ status: 'PAID', decision: 'confirm', reminded: false });
});

test('a transfer the provider refuses → FAILED: the hold is released, nothing posted', async () => {
  const payout = input();
  world.behave(payout.payoutId, { transfer: { status: 'REFUSED', code: 'ACCOUNT_FROZEN' } });
  const { handle } = await reserve(payout);
  await handle.executeUpdate(confirmUpdate, { args: [buyer] });
  expect(await handle.result()).toEqual({ status: 'FAILED' });
  const release = world.callsOf(payout.payoutId).find((c) => c.activity === 'releasePayout')!;
  expect(release.args.slice(1, 3)).toEqual(['FAILED', null]);
  expect(world.namesOf(payout.payoutId)).not.toContain('postPayout');
});

test.each([
  ['decline', declineUpdate, buyer, 'DECLINED'],
  ['cancel', cancelUpdate, seller, 'CANCELLED'],
] as const)('%s → %s, released by its actor; a later decision is refused', async (_name, update, who, status) => {
  const payout = input();
  const { handle } = await reserve(payout);
  expect((await handle.executeUpdate(update, { args: [who] })).status).toBe(status);
  expect(await handle.result()).toEqual({ status });
  expect(world.callsOf(payout.payoutId).find((c) => c.activity === 'releasePayout')!.args.slice(1, 3)).toEqual([status, who.actor]);
  expect(world.namesOf(payout.payoutId)).not.toContain('transferPayout');
});

test('the 3-day window: a timer to the reminder 24 h before the deadline, cancelled by the decision', async () => {
  expect(DEFAULT_WINDOW_MS).toBe(72 * HOUR_MS);
  const payout = input(DEFAULT_WINDOW_MS);
  const { handle, reserved } = await reserve(payout);
  const [untilReminder] = await eventually(async () => {
    const timers = await timersOf(handle);
    return timers.length > 0 ? timers : undefined;
  });
  // From the workflow's now, a moment after the reservation: within a minute of 48 h.
  expect(Math.abs(untilReminder - 48 * HOUR_MS)).toBeLessThan(60_000);
  expect((await handle.query(progressQuery)).expiresAt).toBe(reserved.expiresAt);
  await handle.executeUpdate(cancelUpdate, { args: [seller] });
  await handle.result();
  const { events } = await handle.fetchHistory();
  expect(events!.filter((e) => e.timerCanceledEventAttributes)).toHaveLength(1);
  expect(await timersOf(handle)).toHaveLength(1);
});

test('a card slower than a workflow task holds nothing back: a decision arriving meanwhile ends the payout, and the history replays', async () => {
  // The 2,000-payout chaos run: a card store, then a local activity, ran past its task's heartbeat
  // (8 s of its 10) with a decision arriving, and the history would not replay (TMPRL1100). Since
  // the `cards-and-deadlines-by-activity` patch a card is an ordinary activity nothing waits on.
  const payout = input(DEFAULT_WINDOW_MS);
  world.behave(payout.payoutId, { slowSentStoreMs: 9_000 });
  const handle = await env.client.workflow.start(payoutWorkflow, { taskQueue, workflowId: `payout-${payout.payoutId}`, args: [payout] });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  await handle.signal(decisionSignal, { decision: 'cancel', actor: seller.actor, decisionId: randomUUID() });
  expect(await handle.result()).toEqual({ status: 'CANCELLED' });
  const history = await handle.fetchHistory();
  await expect(Worker.runReplayHistory({ workflowBundle: await loadWorkflowBundle(), dataConverter }, history, handle.workflowId)).resolves.toBeUndefined();
}, 60_000);

test('a short window runs through: reminder at two thirds, then the deadline → EXPIRED by the system', async () => {
  const payout = input(SHORT_WINDOW_MS);
  const { handle } = await reserve(payout);
  expect(await handle.result()).toEqual({ status: 'EXPIRED' });
  const [untilReminder, untilDeadline] = await timersOf(handle);
  const lead = Math.floor(SHORT_WINDOW_MS / 3);
  // Each timer counts from the workflow's now, which trails the reservation by the task's latency.
  expect(untilReminder).toBeGreaterThan(SHORT_WINDOW_MS - lead - 1_000);
  expect(untilReminder).toBeLessThanOrEqual(SHORT_WINDOW_MS - lead + 500);
  expect(untilDeadline).toBeGreaterThan(lead - 1_000);
  expect(untilDeadline).toBeLessThanOrEqual(lead + 500);
  const moments = world.callsOf(payout.payoutId).filter((c) => c.activity === 'announceCards').map((c) => c.args[1]);
  expect(moments).toEqual(['sent', 'reminder', 'outcome']);
  expect(world.callsOf(payout.payoutId).find((c) => c.activity === 'releasePayout')!.args.slice(1, 3)).toEqual(['EXPIRED', 'system']);
  expect(await handle.query(progressQuery)).toMatchObject({ status: 'EXPIRED', reminded: true, decision: null });
});

test('what a timer decides is in history: the reminder\'s and every card\'s activity, the release at the deadline; the reservation alone is local', async () => {
  // A local activity runs before its workflow task completes, so one whose task timed out still
  // commits: it must never be a step that a timer's firing, rather than a message, decides (versions.ts).
  const payout = input(SHORT_WINDOW_MS);
  const { handle } = await reserve(payout);
  expect(await handle.result()).toEqual({ status: 'EXPIRED' });
  const { events } = await handle.fetchHistory();
  const markers = (events ?? []).flatMap((e) => (e.markerRecordedEventAttributes ? [e.markerRecordedEventAttributes.markerName] : []));
  expect(markers.sort()).toEqual(['core_local_activity', 'core_patch']);
  const scheduled = (events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name] : []));
  expect(scheduled).toEqual(['announceCards', 'announceCards', 'releasePayout', 'announceCards']);
});

describe('a deadline already past when the workflow gets to it (a late workflow task)', () => {
  // The 2,000-payout chaos run: the reservation's task ran past the deadline, the workflow expired
  // the payout in that same task, and a cancel Temporal had received 0.8 s before the deadline
  // (held until the task ended) was never read.
  async function lateTask(handedAtMs: (deadlineMs: number) => number) {
    const payout = input(SHORT_WINDOW_MS);
    world.behave(payout.payoutId, { slowReserveMs: SHORT_WINDOW_MS + 1_500 });
    const handle = await env.client.workflow.start(payoutWorkflow, { taskQueue, workflowId: `payout-${payout.payoutId}`, args: [payout] });
    const deadlineMs = Date.now() + SHORT_WINDOW_MS;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await handle.signal(decisionSignal, { decision: 'cancel', actor: seller.actor, decisionId: randomUUID(), handedAtMs: handedAtMs(deadlineMs) });
    return { payout, handle, result: await handle.result() };
  }

  test('a decision handed over before the deadline still decides, and the history replays', async () => {
    const { handle, result } = await lateTask(() => Date.now());
    expect(result).toEqual({ status: 'CANCELLED' });
    const { events } = await handle.fetchHistory();
    expect(events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')).toHaveLength(2);
    await expect(Worker.runReplayHistory({ workflowBundle: await loadWorkflowBundle(), dataConverter }, await handle.fetchHistory(), handle.workflowId)).resolves.toBeUndefined();
  }, 30_000);

  test('one handed over after it does not: EXPIRED by the system', async () => {
    const { payout, result } = await lateTask((deadlineMs) => deadlineMs + 1_000);
    expect(result).toEqual({ status: 'EXPIRED' });
    expect(world.callsOf(payout.payoutId).find((c) => c.activity === 'releasePayout')!.args.slice(1, 3)).toEqual(['EXPIRED', 'system']);
  }, 30_000);
});

test('an order change cancels an awaiting payout (system), and one the database saw before a confirmation', async () => {
  const awaiting = input();
  const { handle } = await reserve(awaiting);
  await handle.signal(orderChangedSignal, { closeReason: 'ORDER_CLOSED' });
  expect(await handle.result()).toEqual({ status: 'CANCELLED' });
  expect(world.callsOf(awaiting.payoutId).find((c) => c.activity === 'releasePayout')!.args.slice(1, 3)).toEqual(['CANCELLED', 'system']);
  await expect(handle.executeUpdate(confirmUpdate, { args: [buyer] })).rejects.toThrow();

  const confirmedTooLate = input();
  world.behave(confirmedTooLate.payoutId, { orderChangedBeforeConfirm: true });
  const second = await reserve(confirmedTooLate);
  expect((await second.handle.executeUpdate(confirmUpdate, { args: [buyer] })).status).toBe('CANCELLED');
  expect(await second.handle.result()).toEqual({ status: 'CANCELLED' });
  expect(world.namesOf(confirmedTooLate.payoutId)).not.toContain('transferPayout');
});

describe('decisions racing: the first recorded wins', () => {
  test('two updates at once: one wins, the other is refused PAYOUT_NOT_AWAITING_CONFIRMATION', async () => {
    const payout = input();
    const { handle } = await reserve(payout);
    const answers = await Promise.allSettled([
      handle.executeUpdate(confirmUpdate, { args: [buyer] }),
      handle.executeUpdate(declineUpdate, { args: [buyer] }),
    ]);
    const refused = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0].reason).toBeInstanceOf(WorkflowUpdateFailedError);
    expect(refused[0].reason.cause).toMatchObject({ type: 'PAYOUT_NOT_AWAITING_CONFIRMATION' });
    expect(['PAID', 'DECLINED']).toContain((await handle.result()).status);
  });

  test('an update, then the fallback signal of another decision: the signal changes nothing', async () => {
    const payout = input();
    const { handle } = await reserve(payout);
    await handle.executeUpdate(confirmUpdate, { args: [buyer] });
    await handle.signal(decisionSignal, { decision: 'decline', actor: buyer.actor, decisionId: randomUUID() });
    expect(await handle.result()).toEqual({ status: 'PAID' });
  });

  test('the fallback signal recorded while no worker ran, then an update: the signal wins, the update is refused', async () => {
    const queue = `wf-test-${randomUUID()}`;
    const payout = input();
    const first = await newWorker(queue);
    const { handle } = await first.runUntil(reserve(payout, queue));
    await handle.signal(decisionSignal, { decision: 'decline', actor: buyer.actor, decisionId: randomUUID() });
    const late = handle.executeUpdate(confirmUpdate, { args: [buyer] });
    late.catch(() => undefined);
    const second = await newWorker(queue);
    const result = await second.runUntil(handle.result());
    expect(result).toEqual({ status: 'DECLINED' });
    await expect(late).rejects.toMatchObject({ cause: { type: 'PAYOUT_NOT_AWAITING_CONFIRMATION' } });
  });

  test('the fallback signal alone decides, as the update would have', async () => {
    const payout = input();
    const { handle } = await reserve(payout);
    await handle.signal(decisionSignal, { decision: 'confirm', actor: buyer.actor, decisionId: randomUUID() });
    expect(await handle.result()).toEqual({ status: 'PAID' });
    expect(world.callsOf(payout.payoutId).find((c) => c.activity === 'markConfirmed')!.args[1]).toBe(buyer.actor);
  });
});

test('cards the webhook never takes are marked undeliverable; the money moves all the same', async () => {
  const payout = input();
  world.behave(payout.payoutId, { cardsUndeliverable: true });
  const { handle } = await reserve(payout);
  await handle.executeUpdate(declineUpdate, { args: [buyer] });
  expect(await handle.result()).toEqual({ status: 'DECLINED' });
  const marked = world.callsOf(payout.payoutId).filter((c) => c.activity === 'markCardsUndeliverable').map((c) => c.args[0]);
  expect(marked).toEqual(expect.arrayContaining([
    [`sent:${payout.payoutId}`, holdLowBalanceCardId(payout.payoutId)],
    [`outcome:${payout.payoutId}:buyer`, `outcome:${payout.payoutId}:seller`],
  ]));
});
