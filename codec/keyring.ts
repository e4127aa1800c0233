/**
 * The keys of the payload codec (SPEC §7), read from configuration: `PAYLOAD_KEYS` holds every key
 * that may still be needed to decrypt ("id:base64key,id:base64key"), `PAYLOAD_KEY_ID` names the one
 * that encrypts. Rotation adds a key and moves `PAYLOAD_KEY_ID` to it; the old key stays in
 * `PAYLOAD_KEYS` for as long as any history (open workflows, retained or archived-from histories)
 * may hold payloads encrypted with it.
 */
import { createHash } from 'node:crypto';

export interface PayloadKeyring {
  /** The key that encrypts new payloads. */
  encryptionKeyId: string;
  /** Every key that decrypts, by id; holds `encryptionKeyId`. */
  keys: ReadonlyMap<string, Buffer>;
  /** True when no keys were configured and the development key is in use (printed at start). */
  isDevelopment: boolean;
}

/** AES-256 takes 32-byte keys. */
export const PAYLOAD_KEY_BYTES = 32;
/** More keys than this is a rotation that forgot to retire old ones. */
export const PAYLOAD_KEYS_MAX = 16;
/** A key id travels in every payload's metadata: short and plain. */
const KEY_ID_PATTERN = /^[A-Za-z0-9_.-]{1,32}$/;

/**
 * Only for local development: a fixed key derived from a public phrase, so that `npm start` works
 * without set-up and keeps reading its own persisted histories across restarts. It protects nothing.
 */
export const DEVELOPMENT_PAYLOAD_KEY_ID = 'dev';
export const DEVELOPMENT_PAYLOAD_KEY = createHash('sha256').update('small-payouts development payload key, not a secret').digest('base64');

export function parsePayloadKeyring(keysText: string | undefined, encryptionKeyId: string | undefined): PayloadKeyring {
  if (!keysText) {
    if (encryptionKeyId && encryptionKeyId !== DEVELOPMENT_PAYLOAD_KEY_ID) throw new Error('PAYLOAD_KEY_ID is set but PAYLOAD_KEYS is not');
    return { encryptionKeyId: DEVELOPMENT_PAYLOAD_KEY_ID, keys: new Map([[DEVELOPMENT_PAYLOAD_KEY_ID, Buffer.from(DEVELOPMENT_PAYLOAD_KEY, 'base64')]]), isDevelopment: true };
  }
  const entries = keysText.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length > PAYLOAD_KEYS_MAX) throw new Error(`PAYLOAD_KEYS holds ${entries.length} keys; at most ${PAYLOAD_KEYS_MAX}`);
  const keys = new Map<string, Buffer>();
  for (const entry of entries) {
    const [id, key] = parseEntry(entry);
    if (keys.has(id)) throw new Error(`PAYLOAD_KEYS names key "${id}" twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new Error('PAYLOAD_KEYS holds no key');
  // With one key there is nothing to choose; with several, the operator must say which encrypts.
  const chosen = encryptionKeyId || (keys.size === 1 ? [...keys.keys()][0] : undefined);
  if (!chosen) throw new Error('PAYLOAD_KEYS holds several keys: PAYLOAD_KEY_ID must name the one that encrypts');
  if (!keys.has(chosen)) throw new Error(`PAYLOAD_KEY_ID "${chosen}" is not in PAYLOAD_KEYS`);
  return { encryptionKeyId: chosen, keys, isDevelopment: false };
}

/** One "id:base64key" entry; the error never repeats the key itself, since it lands in logs. */
function parseEntry(entry: string): [string, Buffer] {
  const colon = entry.indexOf(':');
  const id = colon < 0 ? '' : entry.slice(0, colon);
  if (!KEY_ID_PATTERN.test(id)) throw new Error('PAYLOAD_KEYS entries are "id:base64key" with ids of 1-32 letters, digits, "_", "." or "-"');
  const text = entry.slice(colon + 1);
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== PAYLOAD_KEY_BYTES) {
    throw new Error(`PAYLOAD_KEYS key "${id}" must be ${PAYLOAD_KEY_BYTES} bytes in base64 (openssl rand -base64 32)`);
  }
  return [id, key];
}
