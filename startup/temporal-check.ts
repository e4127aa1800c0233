/**
 * Checks a Temporal server given by TEMPORAL_ADDRESS before the worker or the API use it: that it
 * answers, that the namespace exists, and that it has the search attributes every payout sets
 * (a workflow started without them fails, so a payout request would be the first to find out).
 */
import { status } from '@grpc/grpc-js';
import { Connection } from '@temporalio/client';
import { Socket } from 'node:net';
import { grpcCode } from '../temporal/grpc-status';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/search-attributes';
import { namespaceMissing, searchAttributesMissing, temporalUnreachable, unansweredReason, type SearchAttribute } from './errors';

/** A server that accepts TCP but does not answer gRPC within this is reported as not answering. */
const TEMPORAL_CONNECT_TIMEOUT_MS = 5_000;

const REQUIRED_SEARCH_ATTRIBUTES: SearchAttribute[] = SEARCH_ATTRIBUTE_FLAGS.map((flag) => {
  const [name, type] = flag.split('=');
  return { name, type };
});

export async function checkTemporal(address: string, namespace: string, configured: boolean): Promise<void> {
  await probeTcp(address, configured);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: TEMPORAL_CONNECT_TIMEOUT_MS });
  } catch (err) {
    throw temporalUnreachable(address, configured, (err as Error).message, err);
  }
  try {
    // describeNamespace answers NOT_FOUND for an unknown namespace.
    await connection.workflowService.describeNamespace({ namespace }).catch((err: unknown) => {
      throw grpcCode(err) === status.NOT_FOUND ? namespaceMissing(address, namespace) : err;
    });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const missing = REQUIRED_SEARCH_ATTRIBUTES.filter((attribute) => !(attribute.name in (customAttributes ?? {})));
    if (missing.length > 0) throw searchAttributesMissing(address, namespace, missing);
  } finally {
    await connection.close();
  }
}

/**
 * A refused or unknown address fails here at once; the gRPC client would instead retry until its
 * deadline and then only say that it timed out.
 */
function probeTcp(address: string, configured: boolean): Promise<void> {
  const separator = address.lastIndexOf(':');
  const host = address.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(separator + 1));
  // An address without a port is left to the gRPC client, which knows its defaults.
  if (separator < 0 || !Number.isInteger(port)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.setTimeout(TEMPORAL_CONNECT_TIMEOUT_MS);
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => {
      socket.destroy();
      reject(temporalUnreachable(address, configured, `no TCP answer within ${TEMPORAL_CONNECT_TIMEOUT_MS} ms`));
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(temporalUnreachable(address, configured, unansweredReason(err), err)));
    socket.connect(port, host);
  });
}
