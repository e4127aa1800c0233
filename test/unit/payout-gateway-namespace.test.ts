/**
 * A create the workflow service could not run because it said its namespace was not found (seen
 * on the dev server under 100,000 open payouts, bench/README.md) is "not now": 503
 * SERVICE_UNAVAILABLE, to retry with the same Idempotency-Key, never 500. The handler then reads
 * the database for a reservation made anyway (payouts.ts, reservedAnyway).
 */
import { Metadata, status } from '@grpc/grpc-js';
import type { Client } from '@temporalio/client';
import { PayoutGateway } from '../../api/payout-gateway';
import { DomainError } from '../../domain/errors';
import { isGrpcNamespaceNotFound } from '../../temporal/grpc-status';

/** A gRPC service error as the client rejects with it: a code, details and metadata. */
function serviceError(code: status, message: string): Error {
  return Object.assign(new Error(message), { code, details: message, metadata: new Metadata() });
}

function gatewayFailingWith(err: Error): PayoutGateway {
  const client = {
    withDeadline: (_deadline: number, call: () => Promise<unknown>) => call(),
    workflow: { executeUpdateWithStart: () => Promise.reject(err) },
  } as unknown as Client;
  return new PayoutGateway(client, 'payouts', 60_000);
}

const request = { payoutId: 'b0a6c5de-5a51-4d35-9d43-1f3a1c3b7d01', sellerId: 's-1', orderId: 'o-1', amountFen: 100, reason: 'PRICE_DIFFERENCE', note: null, initiatedBy: 'seller:s-1' } as const;

describe('a namespace not found', () => {
  it('is told apart from other NOT_FOUNDs and other codes', () => {
    expect(isGrpcNamespaceNotFound(serviceError(status.NOT_FOUND, 'Namespace default is not found.'))).toBe(true);
    expect(isGrpcNamespaceNotFound(Object.assign(new Error('Update-with-Start could not be executed.'), { cause: serviceError(status.NOT_FOUND, 'Namespace default is not found.') }))).toBe(true);
    expect(isGrpcNamespaceNotFound(serviceError(status.NOT_FOUND, 'workflow not found for ID: payout-1'))).toBe(false);
    expect(isGrpcNamespaceNotFound(serviceError(status.INTERNAL, 'Namespace default is not found.'))).toBe(false);
    expect(isGrpcNamespaceNotFound(new Error('Namespace default is not found.'))).toBe(false);
  });

  it("answers a create's Update-with-Start with SERVICE_UNAVAILABLE, not the raw error", async () => {
    const refused = gatewayFailingWith(serviceError(status.NOT_FOUND, 'Namespace default is not found.')).start(request);
    await expect(refused).rejects.toBeInstanceOf(DomainError);
    await expect(refused).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  });

  it('leaves any other error as it was', async () => {
    const other = serviceError(status.INTERNAL, 'boom');
    await expect(gatewayFailingWith(other).start(request)).rejects.toBe(other);
  });
});
