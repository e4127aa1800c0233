/**
 * AES-256-GCM payload codec (SPEC §7): every payload the service hands to Temporal (workflow and
 * activity arguments and results, updates, signals, queries, memos, failure messages) is encrypted
 * before it leaves the process, so the Temporal server and its database hold no cleartext buyer ids
 * or notes. Search attributes do not pass through codecs: they are indexes, and carry no personal data.
 *
 * The codec runs in the client and in the worker's main thread, outside the workflow sandbox, so it
 * may use node:crypto. Each encrypted payload names its key in its metadata, so that payloads
 * encrypted before a rotation stay readable as long as their key is kept.
 */
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { PayloadKeyring } from './keyring';

/** The metadata names Temporal's own encryption samples use, so that other tools recognise them. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keyring: PayloadKeyring) {}

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const keyId = this.keyring.encryptionKeyId;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keyring.keys.get(keyId)!, iv);
    // The key id is authenticated with the data: a payload relabelled with another id fails to decrypt.
    cipher.setAAD(Buffer.from(keyId));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return { metadata: { [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING), [KEY_ID_METADATA_KEY]: Buffer.from(keyId) }, data };
  }

  /**
   * A payload that is not ours passes through unchanged: those written before the codec existed
   * (a workflow started by the previous release) must stay readable. One of ours with a key we no
   * longer hold, or that fails authentication, is an error: the workflow task retries until the
   * key is configured again, instead of running on data it cannot read.
   */
  private decrypt(payload: Payload): Payload {
    if (text(payload.metadata?.[METADATA_ENCODING_KEY]) !== ENCRYPTED_ENCODING) return payload;
    const keyId = text(payload.metadata?.[KEY_ID_METADATA_KEY]) ?? '';
    const key = this.keyring.keys.get(keyId);
    if (!key) throw new PayloadKeyError(`a payload is encrypted with key "${keyId}", which PAYLOAD_KEYS does not hold`);
    const data = Buffer.from(payload.data ?? []);
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadKeyError('an encrypted payload is too short to be one');
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(keyId));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadKeyError(`a payload encrypted with key "${keyId}" does not authenticate (wrong key or altered data)`);
    }
    return temporal.api.common.v1.Payload.decode(plain);
  }
}

/** A payload this service cannot decrypt: a missing key or altered data, never a caller's mistake. */
export class PayloadKeyError extends Error {
  override readonly name = 'PayloadKeyError';
}

function text(bytes: Uint8Array | null | undefined): string | undefined {
  return bytes ? Buffer.from(bytes).toString('utf8') : undefined;
}
