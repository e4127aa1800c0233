/**
 * rechargeWorkflow and withdrawalWorkflow with their activities mocked, on the run's Temporal
 * server through @temporalio/testing (as payout.test.ts): success, a refusal for good (a
 * withdrawal's is voided), a provider that does not answer for a while (retried with the same key
 * until it does), and the API's gateway — a refusal as its SPEC code, a retry joining the same
 * workflow, 503 while no worker answers and the result once one does.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ReserveActivities } from '../../activities/reserve-activities';
import type { ProviderOutcome } from '../../provider/provider';
import { ReserveGateway } from '../../api/reserve-gateway';
import { payloadDataConverter } from '../../codec/data-converter';
import { DomainError } from '../../domain/errors';
import { loadWorkflowBundle } from '../../worker/worker';
import { rechargeWorkflow } from '../../workflows/reserve/recharge';
import { withdrawalWorkflow } from '../../workflows/reserve/withdrawal';
import { rechargeWorkflowId, withdrawalWorkflowId } from '../../workflows/reserve/movements';
import { testPayloadKeyring } from '../support/payload-keys';
import { eventually, installQuietRuntime } from '../support/stack';

interface Behaviour {
  /** The provider's answer once it answers; SUCCEEDED by default. */
  provider?: ProviderOutcome;
  /** The provider does not answer this many calls first (a retryable failure each). */
  unavailableCalls?: number;
  /** The debit finds too little available. */
  insufficient?: boolean;
  /** The withdrawal takes available below the alert threshold. */
  lowBalance?: boolean;
}

const behaviours = new Map<string, Behaviour>();
const calls: { activity: string; args: unknown[] }[] = [];
const namesOf = (id: string) => calls.filter((c) => JSON.stringify(c.args).includes(id)).map((c) => c.activity);

function mockActivities(): ReserveActivities & { deliverCards(ids: string[]): Promise<void>; markCardsUndeliverable(ids: string[]): Promise<number> } {
  const record = (activity: string, args: unknown[]) => calls.push({ activity, args });
  const provider = async (activity: string, id: string, args: unknown[]): Promise<ProviderOutcome> => {
    record(activity, args);
    const behaviour = behaviours.get(id) ?? {};
    if ((behaviour.unavailableCalls ?? 0) > 0) {
      behaviour.unavailableCalls! -= 1;
      throw new Error(`${id}: the provider is unavailable`);
    }
    return behaviour.provider ?? { status: 'SUCCEEDED', transactionId: `tx-${id}` };
  };
  return {
    withholdRecharge: (id, sellerId, amountFen) => provider('withholdRecharge', id, [id, sellerId, amountFen]),
    async creditRecharge(id, sellerId, amountFen) {
      record('creditRecharge', [id, sellerId, amountFen]);
      return `recharge:${id}`;
    },
    async debitWithdrawal(id, sellerId, amountFen) {
      record('debitWithdrawal', [id, sellerId, amountFen]);
      if (behaviours.get(id)?.insufficient) throw ApplicationFailure.nonRetryable('available 5 cannot cover 10', 'INSUFFICIENT_RESERVE', { available: 5, asked: amountFen });
      return `withdrawal:${id}`;
    },
    payBackWithdrawal: (id, sellerId, amountFen) => provider('payBackWithdrawal', id, [id, sellerId, amountFen]),
    async voidWithdrawal(id, sellerId, amountFen) {
      record('voidWithdrawal', [id, sellerId, amountFen]);
    },
    async storeWithdrawalLowBalanceCard(id, sellerId) {
      record('storeWithdrawalLowBalanceCard', [id, sellerId]);
      return behaviours.get(id)?.lowBalance ? [`low-balance:withdrawal:${id}`] : [];
    },
    async deliverCards(ids) {
      record('deliverCards', [ids]);
    },
    async markCardsUndeliverable(ids) {
      record('markCardsUndeliverable', [ids]);
      return ids.length;
    },
  };
}

const dataConverter = payloadDataConverter(testPayloadKeyring());
const WINDOW_MS = 60 * 60 * 1000;
let env: TestWorkflowEnvironment;
const workers: { worker: Worker; running: Promise<void> }[] = [];
const taskQueue = `wf-reserve-${randomUUID()}`;

async function startWorker(queue: string): Promise<void> {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle: await loadWorkflowBundle(), dataConverter, activities: mockActivities() });
  workers.push({ worker, running: worker.run() });
}

beforeAll(async () => {
  installQuietRuntime();
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEST_TEMPORAL_ADDRESS, client: { dataConverter } });
  await startWorker(taskQueue);
});
afterAll(async () => {
  for (const { worker } of workers) worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  await env.teardown();
});

const recharge = (rechargeId: string, amountFen = 1_000) =>
  env.client.workflow.execute(rechargeWorkflow, { taskQueue, workflowId: rechargeWorkflowId(rechargeId), args: [{ rechargeId, sellerId: 'seller-1', amountFen }] });
const withdraw = (withdrawalId: string, amountFen = 1_000) =>
  env.client.workflow.execute(withdrawalWorkflow, { taskQueue, workflowId: withdrawalWorkflowId(withdrawalId), args: [{ withdrawalId, sellerId: 'seller-1', amountFen, confirmWindowMs: WINDOW_MS }] });

test('a recharge withholds, then credits under the recharge id', async () => {
  const id = randomUUID();
  expect(await recharge(id)).toEqual({ status: 'DONE', movementKey: `recharge:${id}` });
  expect(namesOf(id)).toEqual(['withholdRecharge', 'creditRecharge']);
});

test('a withholding refused for good: PROVIDER_REFUSED with its code, nothing credited', async () => {
  const id = randomUUID();
  behaviours.set(id, { provider: { status: 'REFUSED', code: 'INSUFFICIENT_FUNDS' } });
  expect(await recharge(id)).toMatchObject({ status: 'REFUSED', code: 'PROVIDER_REFUSED', details: { providerCode: 'INSUFFICIENT_FUNDS' } });
  expect(namesOf(id)).toEqual(['withholdRecharge']);
});

test('a provider that does not answer for a while is retried with the same recharge id, and credits once', async () => {
  const id = randomUUID();
  behaviours.set(id, { unavailableCalls: 2 });
  expect(await recharge(id)).toEqual({ status: 'DONE', movementKey: `recharge:${id}` });
  expect(namesOf(id)).toEqual(['withholdRecharge', 'withholdRecharge', 'withholdRecharge', 'creditRecharge']);
});

test('a withdrawal debits, then pays back; no card when available stays above the threshold', async () => {
  const id = randomUUID();
  expect(await withdraw(id)).toEqual({ status: 'DONE', movementKey: `withdrawal:${id}` });
  expect(namesOf(id)).toEqual(['debitWithdrawal', 'payBackWithdrawal', 'storeWithdrawalLowBalanceCard']);
});

test('a withdrawal that crosses the low-balance threshold answers, and its card is delivered by a workflow of its own', async () => {
  const id = randomUUID();
  behaviours.set(id, { lowBalance: true });
  expect(await withdraw(id)).toEqual({ status: 'DONE', movementKey: `withdrawal:${id}` });
  const cardId = `low-balance:withdrawal:${id}`;
  expect(await env.client.workflow.getHandle(`cards-${cardId}`).result()).toBe('DELIVERED');
  expect(namesOf(id)).toEqual(['debitWithdrawal', 'payBackWithdrawal', 'storeWithdrawalLowBalanceCard', 'deliverCards']);
});

test('a pay-back refused for good voids the debit: PROVIDER_REFUSED, no card', async () => {
  const id = randomUUID();
  behaviours.set(id, { provider: { status: 'REFUSED', code: 'ACCOUNT_FROZEN' }, lowBalance: true });
  expect(await withdraw(id)).toMatchObject({ status: 'REFUSED', code: 'PROVIDER_REFUSED', details: { providerCode: 'ACCOUNT_FROZEN' } });
  expect(namesOf(id)).toEqual(['debitWithdrawal', 'payBackWithdrawal', 'voidWithdrawal']);
});

test('a debit refused for INSUFFICIENT_RESERVE ends the withdrawal with that code; the provider is never called', async () => {
  const id = randomUUID();
  behaviours.set(id, { insufficient: true });
  expect(await withdraw(id, 10)).toEqual({ status: 'REFUSED', code: 'INSUFFICIENT_RESERVE', message: 'available 5 cannot cover 10', details: { available: 5, asked: 10 } });
  expect(namesOf(id)).toEqual(['debitWithdrawal']);
});

test('a pay-back the provider does not answer for a while is retried; the debit is made once', async () => {
  const id = randomUUID();
  behaviours.set(id, { unavailableCalls: 2 });
  expect(await withdraw(id)).toEqual({ status: 'DONE', movementKey: `withdrawal:${id}` });
  expect(namesOf(id)).toEqual(['debitWithdrawal', 'payBackWithdrawal', 'payBackWithdrawal', 'payBackWithdrawal', 'storeWithdrawalLowBalanceCard']);
});

describe('the API gateway', () => {
  test('answers the movement key, a refusal as its SPEC code, and a retry with the result of the same workflow', async () => {
    const gateway = new ReserveGateway(env.client, taskQueue, WINDOW_MS);
    const id = randomUUID();
    expect(await gateway.recharge(id, 'seller-1', 500)).toBe(`recharge:${id}`);
    expect(await gateway.recharge(id, 'seller-1', 500)).toBe(`recharge:${id}`);
    expect(namesOf(id)).toEqual(['withholdRecharge', 'creditRecharge']);
    const poor = randomUUID();
    behaviours.set(poor, { insufficient: true });
    const refusal = await gateway.withdraw(poor, 'seller-1', 10).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({ code: 'INSUFFICIENT_RESERVE', details: { available: 5, asked: 10 } });
  });

  test('no worker within the wait: 503 SERVICE_UNAVAILABLE, the workflow waits; the same id later answers its result', async () => {
    const idleQueue = `wf-reserve-idle-${randomUUID()}`;
    const gateway = new ReserveGateway(env.client, idleQueue, WINDOW_MS, 1_000);
    const id = randomUUID();
    await expect(gateway.withdraw(id, 'seller-1', 300)).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    const { status } = await env.client.workflow.getHandle(withdrawalWorkflowId(id)).describe();
    expect(status.name).toBe('RUNNING');
    await startWorker(idleQueue);
    const answered = await eventually(() => gateway.withdraw(id, 'seller-1', 300).catch(() => undefined));
    expect(answered).toBe(`withdrawal:${id}`);
    expect(namesOf(id)).toEqual(['debitWithdrawal', 'payBackWithdrawal', 'storeWithdrawalLowBalanceCard']);
  });
});
