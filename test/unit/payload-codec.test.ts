/** The payload codec's keys and its AES-256-GCM encryption, below the stack (SPEC §7). */
import { defaultPayloadConverter, ApplicationFailure, type Payload } from '@temporalio/common';
import { decodeOptionalFailureToOptionalError, encodeErrorToFailure, loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { payloadDataConverter } from '../../codec/data-converter';
import { DEVELOPMENT_PAYLOAD_KEY_ID, PAYLOAD_KEYS_MAX, parsePayloadKeyring } from '../../codec/keyring';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA_KEY, PayloadKeyError } from '../../codec/payload-codec';
import { TEST_PAYLOAD_KEYS } from '../support/payload-keys';

const K1 = `test-1:${TEST_PAYLOAD_KEYS['test-1']}`;
const K2 = `test-2:${TEST_PAYLOAD_KEYS['test-2']}`;
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString();
const value = { buyerId: 'buyer-42', note: '降价补差' };

describe('PAYLOAD_KEYS and PAYLOAD_KEY_ID', () => {
  test('unset: the development key, marked as such', () => {
    const keyring = parsePayloadKeyring(undefined, undefined);
    expect(keyring).toMatchObject({ encryptionKeyId: DEVELOPMENT_PAYLOAD_KEY_ID, isDevelopment: true });
    expect(keyring.keys.get(DEVELOPMENT_PAYLOAD_KEY_ID)).toHaveLength(32);
  });

  test('one key encrypts without PAYLOAD_KEY_ID; of several, the one it names', () => {
    expect(parsePayloadKeyring(K1, undefined)).toMatchObject({ encryptionKeyId: 'test-1', isDevelopment: false });
    const both = parsePayloadKeyring(` ${K1} , ${K2} `, 'test-2');
    expect(both.encryptionKeyId).toBe('test-2');
    expect([...both.keys.keys()]).toEqual(['test-1', 'test-2']);
  });

  const tooMany = Array.from({ length: PAYLOAD_KEYS_MAX + 1 }, (_, i) => `k${i}:${TEST_PAYLOAD_KEYS['test-1']}`).join(',');
  test.each([
    ['several keys and no PAYLOAD_KEY_ID', `${K1},${K2}`, undefined, /must name the one that encrypts/],
    ['PAYLOAD_KEY_ID not among the keys', K1, 'test-2', /"test-2" is not in PAYLOAD_KEYS/],
    ['PAYLOAD_KEY_ID without keys', undefined, 'test-1', /PAYLOAD_KEYS is not/],
    ['a key id twice', `${K1},${K1}`, 'test-1', /twice/],
    ['no id', TEST_PAYLOAD_KEYS['test-1'], undefined, /"id:base64key"/],
    ['a bad id', `bad id:${TEST_PAYLOAD_KEYS['test-1']}`, undefined, /"id:base64key"/],
    ['a short key', `short:${Buffer.alloc(16).toString('base64')}`, undefined, /32 bytes/],
    ['a key that is not base64', 'bad:not-base64-at-all!', undefined, /32 bytes/],
    ['only commas', ',,', undefined, /no key/],
    ['too many keys', tooMany, 'k0', /at most 16/],
  ])('refuses %s', (_name, keys, keyId, message) => {
    expect(() => parsePayloadKeyring(keys, keyId)).toThrow(message);
  });

  test('an error never repeats the key', () => {
    const secret = Buffer.alloc(31, 7).toString('base64');
    expect(() => parsePayloadKeyring(`k:${secret}`, undefined)).toThrow(expect.objectContaining({ message: expect.not.stringContaining(secret) }));
  });
});

describe('the AES-256-GCM codec', () => {
  const codec = new AesGcmPayloadCodec(parsePayloadKeyring(K1, undefined));
  const plain = defaultPayloadConverter.toPayload(value);

  test('encrypts with the key it names, and decrypts back', async () => {
    const [encrypted] = await codec.encode([plain]);
    expect(text(encrypted.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted.metadata?.[KEY_ID_METADATA_KEY])).toBe('test-1');
    expect(Buffer.from(encrypted.data!).includes('buyer-42')).toBe(false);
    const [decrypted] = await codec.decode([encrypted]);
    expect(defaultPayloadConverter.fromPayload(decrypted)).toEqual(value);
  });

  test('never encrypts two payloads alike (a fresh IV each time)', async () => {
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  test('passes through payloads that are not encrypted (written before the codec)', async () => {
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  test('after a rotation, decrypts what the old key encrypted, and encrypts with the new one', async () => {
    const [old] = await codec.encode([plain]);
    const rotated = new AesGcmPayloadCodec(parsePayloadKeyring(`${K1},${K2}`, 'test-2'));
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old]))[0])).toEqual(value);
    expect(text((await rotated.encode([plain]))[0].metadata?.[KEY_ID_METADATA_KEY])).toBe('test-2');
  });

  test('refuses a payload whose key it does not hold, altered data, and a relabelled key id', async () => {
    const [encrypted] = await codec.encode([plain]);
    const onlyK2 = new AesGcmPayloadCodec(parsePayloadKeyring(K2, undefined));
    await expect(onlyK2.decode([encrypted])).rejects.toThrow(new PayloadKeyError('a payload is encrypted with key "test-1", which PAYLOAD_KEYS does not hold'));
    const altered: Payload = { ...encrypted, data: Buffer.from(encrypted.data!).map((byte, i) => (i === 20 ? byte ^ 1 : byte)) };
    await expect(codec.decode([altered])).rejects.toThrow(/does not authenticate/);
    // The same key under another id: the id is authenticated with the data.
    const alias = new AesGcmPayloadCodec(parsePayloadKeyring(`alias:${TEST_PAYLOAD_KEYS['test-1']}`, undefined));
    const relabelled: Payload = { ...encrypted, metadata: { ...encrypted.metadata, [KEY_ID_METADATA_KEY]: Buffer.from('alias') } };
    await expect(alias.decode([relabelled])).rejects.toThrow(/does not authenticate/);
    await expect(codec.decode([{ ...encrypted, data: new Uint8Array(5) }])).rejects.toThrow(/too short/);
  });
});

test('the data converter encrypts failure messages and decrypts them back', async () => {
  const converter = loadDataConverter(payloadDataConverter(parsePayloadKeyring(K1, undefined)));
  const failure = await encodeErrorToFailure(converter, ApplicationFailure.nonRetryable('refused for buyer-42', 'INSUFFICIENT_RESERVE'));
  expect(failure.message).toBe('Encoded failure');
  expect(failure.stackTrace).toBe('');
  expect(text(failure.encodedAttributes?.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(JSON.stringify(failure)).not.toContain('buyer-42');
  const error = await decodeOptionalFailureToOptionalError(converter, failure);
  expect(error).toMatchObject({ message: 'refused for buyer-42', type: 'INSUFFICIENT_RESERVE' });
});
