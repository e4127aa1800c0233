/**
 * Temporal's remote codec protocol (SPEC §7), for the Temporal UI and the `temporal` CLI
 * (`--codec-endpoint`): `POST /codec/decode` and `/codec/encode` take and answer
 * `{payloads: [{metadata: {key: base64}, data: base64}]}`, through the very codecs of the API's own
 * Temporal client, so the endpoint reads exactly what the service writes, under every key of
 * PAYLOAD_KEYS. Auditors only: a decrypted payload may belong to any seller.
 *
 * `X-Namespace` is accepted and not needed: the service has one keyring, and a payload that is not
 * ours (not encrypted, or another encoding) comes back as it was.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { PayloadKeyError } from '../../codec/payload-codec';
import { DomainError } from '../../domain/errors';
import type { Call, Handler, Schemas } from '../types';

type JsonPayload = Schemas['CodecPayload'];

export const decodePayloads: Handler<'decodePayloads'> = async (call) => ({ status: 200, body: { payloads: await transform(call, 'decode') } });

export const encodePayloads: Handler<'encodePayloads'> = async (call) => ({ status: 200, body: { payloads: await transform(call, 'encode') } });

async function transform(call: Call<'decodePayloads'> | Call<'encodePayloads'>, direction: 'decode' | 'encode'): Promise<JsonPayload[]> {
  const codecs = call.deps.temporal.options.loadedDataConverter.payloadCodecs;
  // Codecs encode in their order and decode in the reverse one (the SDK's rule).
  const ordered: PayloadCodec[] = direction === 'encode' ? [...codecs] : [...codecs].reverse();
  const answers: JsonPayload[] = [];
  // Bounded by the schema's maxItems; one at a time, so that a refusal names its payload.
  for (const [index, json] of (call.body.payloads ?? []).entries()) {
    let payloads = [fromJson(json)];
    try {
      for (const codec of ordered) payloads = await codec[direction](payloads);
    } catch (err) {
      if (err instanceof PayloadKeyError) throw new DomainError('VALIDATION_ERROR', `payloads[${index}]: ${err.message}`, { field: `body.payloads.${index}` });
      throw err;
    }
    answers.push(toJson(payloads[0]));
  }
  return answers;
}

function fromJson(json: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(json.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')]));
  return { metadata, data: Buffer.from(json.data ?? '', 'base64') };
}

function toJson(payload: Payload): JsonPayload {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')]));
  return { metadata, data: Buffer.from(payload.data ?? []).toString('base64') };
}
