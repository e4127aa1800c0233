/**
 * How the project reads Temporal's errors (temporal/grpc-status.ts): a namespace the server says it
 * did not find is "not now" in both the shapes it reaches us in, the gRPC error of a raw service
 * call and the client's NamespaceNotFoundError; any other NOT_FOUND is a workflow that is gone.
 * test/integration/namespace-not-found.test.ts has the real server say it to every door.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { PayoutGateway } from '../../api/payout-gateway';
import { DomainError } from '../../domain/errors';
import { isNamespaceNotFound, isTransientGrpcError, isWorkflowNotFound } from '../../temporal/grpc-status';

/** A gRPC service error as a raw service call rejects with it: a code, details and metadata. */
function serviceError(code: status, details: string): Error {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata: new Metadata() });
}

const NAMESPACE = 'Namespace default is not found.';
const WORKFLOW = 'workflow not found for ID: payout-1';

describe('a NOT_FOUND', () => {
  it.each([
    ['the gRPC error', serviceError(status.NOT_FOUND, NAMESPACE)],
    ["the client's NamespaceNotFoundError", new NamespaceNotFoundError('default')],
    ['a wrapper around the gRPC error', Object.assign(new Error('Update-with-Start could not be executed.'), { cause: serviceError(status.NOT_FOUND, NAMESPACE) })],
  ])('naming the namespace is not now, not a workflow gone: %s', (_shape, err) => {
    expect([isNamespaceNotFound(err), isTransientGrpcError(err), isWorkflowNotFound(err)]).toEqual([true, true, false]);
  });

  it.each([
    ['the gRPC error', serviceError(status.NOT_FOUND, WORKFLOW)],
    ["the client's WorkflowNotFoundError", new WorkflowNotFoundError(WORKFLOW, 'payout-1', undefined)],
  ])('naming anything else is a workflow gone: %s', (_shape, err) => {
    expect([isNamespaceNotFound(err), isTransientGrpcError(err), isWorkflowNotFound(err)]).toEqual([false, false, true]);
  });

  it('is told by its code and the server\'s words, not by a message alone', () => {
    expect(isNamespaceNotFound(serviceError(status.INTERNAL, NAMESPACE))).toBe(false);
    expect(isNamespaceNotFound(new Error(NAMESPACE))).toBe(false);
    expect(isNamespaceNotFound(serviceError(status.NOT_FOUND, `${NAMESPACE} And more.`))).toBe(false);
  });
});

describe("a create's Update-with-Start", () => {
  function gatewayFailingWith(err: Error): PayoutGateway {
    const client = {
      withDeadline: (_deadline: number, call: () => Promise<unknown>) => call(),
      workflow: { executeUpdateWithStart: () => Promise.reject(err) },
    } as unknown as Client;
    return new PayoutGateway(client, 'payouts', 60_000);
  }
  const request = { payoutId: 'b0a6c5de-5a51-4d35-9d43-1f3a1c3b7d01', sellerId: 's-1', orderId: 'o-1', amountFen: 100, reason: 'PRICE_DIFFERENCE', note: null, initiatedBy: 'seller:s-1' } as const;

  it('refused for the namespace is SERVICE_UNAVAILABLE, as the client rejects', async () => {
    const refused = gatewayFailingWith(new NamespaceNotFoundError('default')).start(request);
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('failing any other way is left as it was', async () => {
    const other = serviceError(status.INTERNAL, 'boom');
    await expect(gatewayFailingWith(other).start(request)).rejects.toBe(other);
  });
});
