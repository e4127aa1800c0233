/**
 * Test-only payload keys (never used outside the tests): the stack encrypts with `test-1` unless a
 * test says otherwise, and the key-rotation test moves encryption to `test-2`.
 */
import { parsePayloadKeyring, type PayloadKeyring } from '../../codec/keyring';

export const TEST_PAYLOAD_KEYS = {
  'test-1': 'mPR86P3sapKVXPkezPmMtMSHNfkjCiJe8oMyq1Ew5Rc=',
  'test-2': '//a8m/M+KpXgThZjFHrW7CNGunGIP8gGKIXMfFmYD4Y=',
} as const;

export type TestPayloadKeyId = keyof typeof TEST_PAYLOAD_KEYS;

/** PAYLOAD_KEYS and PAYLOAD_KEY_ID for a process that holds `held` and encrypts with `encryptWith`. */
export function payloadKeyEnv(encryptWith: TestPayloadKeyId = 'test-1', held: TestPayloadKeyId[] = ['test-1', 'test-2']): NodeJS.ProcessEnv {
  return { PAYLOAD_KEYS: held.map((id) => `${id}:${TEST_PAYLOAD_KEYS[id]}`).join(','), PAYLOAD_KEY_ID: encryptWith };
}

/** The keyring of a process started with `payloadKeyEnv(...)`: what the replay tests decode recorded histories with. */
export function testPayloadKeyring(encryptWith: TestPayloadKeyId = 'test-1'): PayloadKeyring {
  const env = payloadKeyEnv(encryptWith);
  return parsePayloadKeyring(env.PAYLOAD_KEYS, env.PAYLOAD_KEY_ID);
}
