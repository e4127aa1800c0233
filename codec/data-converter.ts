/**
 * The one place that builds what Temporal clients, workers and workflow bundles need to encrypt
 * payloads. Every `new Client(`, `Worker.create(` and `bundleWorkflowCode(` of the project goes
 * through here (ESLint refuses them elsewhere), so that no entry point can forget the codec: a
 * client without it would write cleartext into histories, and a worker without it could not read
 * what the others wrote.
 */
import { Client, type ConnectionLike } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import type { PayloadKeyring } from './keyring';
import { AesGcmPayloadCodec } from './payload-codec';

/** Loaded by path: the SDK requires it in the worker and bundles it into the workflow code. */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

export function payloadDataConverter(keyring: PayloadKeyring): DataConverter {
  return { payloadCodecs: [new AesGcmPayloadCodec(keyring)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

export function temporalClient(connection: ConnectionLike, namespace: string, keyring: PayloadKeyring): Client {
  return new Client({ connection, namespace, dataConverter: payloadDataConverter(keyring) });
}
