/**
 * A namespace the workflow service says it did not find is "not now" (temporal/grpc-status.ts,
 * isNamespaceNotFound), never "the workflow is gone": the dev server said so of its own namespace
 * under 100,000 open payouts (bench/README.md), and the client rejects with a NamespaceNotFoundError
 * where a workflow that ended rejects with a WorkflowNotFoundError. The real dev server answers here,
 * asked for a namespace it does not have: each door of the API says 503 SERVICE_UNAVAILABLE (retry
 * with the same Idempotency-Key), not 500 and not the 404 or 409 of a payout that ended.
 */
import { randomUUID } from 'node:crypto';
import { Connection, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import type { EntityManager } from '@mikro-orm/mysql';
import { PayoutGateway } from '../../api/payout-gateway';
import { workflowHistory } from '../../api/payout-history';
import { ReserveGateway } from '../../api/reserve-gateway';
import { temporalClient } from '../../codec/data-converter';
import { openOrm, type Orm } from '../../db/orm';
import { isNamespaceNotFound, isTransientGrpcError, isWorkflowNotFound } from '../../temporal/grpc-status';
import { testPayloadKeyring } from '../support/payload-keys';

let connection: Connection;
let missing: Client;
/** The API's doors on a client whose namespace the server does not have. */
let gateway: PayoutGateway;
let orm: Orm;
beforeAll(async () => {
  connection = await Connection.connect({ address: process.env.TEST_TEMPORAL_ADDRESS! });
  missing = temporalClient(connection, `no-such-namespace-${process.pid}`, testPayloadKeyring());
  gateway = new PayoutGateway(missing, 'payouts', 60_000);
  orm = await openOrm(process.env.TEST_DATABASE_URL!);
});
afterAll(async () => {
  await connection.close();
  await orm.close();
});

const unavailable = { code: 'SERVICE_UNAVAILABLE' };
const request = () => ({ payoutId: randomUUID(), sellerId: 's-ns', orderId: `o-${randomUUID()}`, amountFen: 100, reason: 'PRICE_DIFFERENCE', note: null, initiatedBy: 'seller:s-ns' }) as const;

test("the client's errors for it are read as not now, and a workflow truly missing as gone", async () => {
  const refused = await missing.workflow.getHandle(`payout-${randomUUID()}`).signal('decision').catch((err: unknown) => err);
  expect(refused).toBeInstanceOf(NamespaceNotFoundError);
  expect([isNamespaceNotFound(refused), isTransientGrpcError(refused), isWorkflowNotFound(refused)]).toEqual([true, true, false]);
  const execution = { workflowId: `payout-${randomUUID()}` };
  const raw = await missing.workflowService.describeWorkflowExecution({ namespace: missing.options.namespace, execution }).catch((err: unknown) => err);
  expect([isNamespaceNotFound(raw), isTransientGrpcError(raw), isWorkflowNotFound(raw)]).toEqual([true, true, false]);

  const present = temporalClient(connection, 'default', testPayloadKeyring());
  const gone = await present.workflow.getHandle(`payout-${randomUUID()}`).signal('decision').catch((err: unknown) => err);
  expect(gone).toBeInstanceOf(WorkflowNotFoundError);
  expect([isNamespaceNotFound(gone), isTransientGrpcError(gone), isWorkflowNotFound(gone)]).toEqual([false, false, true]);
});

test('a create is 503', async () => {
  await expect(gateway.start(request())).rejects.toMatchObject(unavailable);
});

test("a buyer's confirm is 503, never the 409 of a payout that ended; the record is asked only who asks", async () => {
  const check = jest.fn(async () => {});
  await expect(gateway.decide(randomUUID(), 'confirm', 'buyer-ns', { party: { buyerId: 'buyer-ns' }, check })).rejects.toMatchObject(unavailable);
  expect(check.mock.calls).toEqual([[false]]);
});

test("the main account's approval is 503, not PAYOUT_NOT_PENDING_APPROVAL", async () => {
  await expect(gateway.decideApproval(randomUUID(), 'approve', 'seller-ns')).rejects.toMatchObject(unavailable);
});

test("an order change not told is left to the sweep, not taken for a payout that ended", async () => {
  const told = await gateway.tellOrderChanged(randomUUID(), 'ORDER_CLOSED').then(() => 'told', (err: unknown) => err);
  expect(isNamespaceNotFound(told)).toBe(true);
});

test('a withdrawal is 503: the money may have moved', async () => {
  await expect(new ReserveGateway(missing, 'payouts', 60_000).withdraw(randomUUID(), 's-ns', 100)).rejects.toMatchObject(unavailable);
});

test("a payout's history that the archive does not hold is 503, not 404", async () => {
  await expect(workflowHistory(missing, orm.em.fork() as EntityManager, `payout-${randomUUID()}`)).rejects.toMatchObject(unavailable);
});
