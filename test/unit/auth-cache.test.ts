/**
 * The API keeps the tokens it verified (api/auth.ts, issue 18): a token it has seen is accepted
 * exactly as long as verifying it again would accept it, with the key that verified it only, and
 * under the caller's lifetime bound on every use. Only `Date` is faked, so jose reads the same
 * clock as the cache.
 */
import * as jose from 'jose';
import { authenticate, secretKey, CLOCK_SKEW_S } from '../../api/auth';
import { DomainError } from '../../domain/errors';

jest.mock('jose', () => {
  const actual = jest.requireActual<typeof import('jose')>('jose');
  return { ...actual, jwtVerify: jest.fn(actual.jwtVerify) };
});

const KEY = secretKey('a'.repeat(40));
const OTHER_KEY = secretKey('b'.repeat(40));
const START_MS = Date.parse('2026-12-01T00:00:00Z');
const LIFETIME_S = 600;

const bearer = (token: string) => `Bearer ${token}`;

async function mint(sub: string): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return new jose.SignJWT({ role: 'seller' }).setProtectedHeader({ alg: 'HS256' }).setSubject(sub).setIssuedAt(iat).setExpirationTime(iat + LIFETIME_S).sign(KEY);
}

async function refused(attempt: Promise<unknown>): Promise<void> {
  await expect(attempt).rejects.toBeInstanceOf(DomainError);
  await expect(attempt).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'] });
  jest.setSystemTime(START_MS);
});
afterEach(() => jest.useRealTimers());

test('a verified token is accepted again until jose would refuse it, then refused', async () => {
  const token = await mint('s-cache-1');
  await expect(authenticate(bearer(token), KEY)).resolves.toEqual({ id: 's-cache-1', role: 'seller', sellerId: 's-cache-1' });
  jest.setSystemTime(START_MS + (LIFETIME_S + CLOCK_SKEW_S - 1) * 1000);
  await expect(authenticate(bearer(token), KEY)).resolves.toMatchObject({ id: 's-cache-1' });
  jest.setSystemTime(START_MS + (LIFETIME_S + CLOCK_SKEW_S) * 1000);
  await refused(authenticate(bearer(token), KEY));
});

test('a token is verified once, however often it comes', async () => {
  const token = await mint('s-cache-0');
  const verify = jest.mocked(jose.jwtVerify);
  const before = verify.mock.calls.length;
  for (let i = 0; i < 5; i++) await authenticate(bearer(token), KEY);
  expect(verify.mock.calls.length - before).toBe(1);
});

test('a token verified with one key is refused with another', async () => {
  const token = await mint('s-cache-2');
  await authenticate(bearer(token), KEY);
  await refused(authenticate(bearer(token), OTHER_KEY));
});

test("the caller's lifetime bound holds for a token verified before", async () => {
  const token = await mint('s-cache-3');
  await authenticate(bearer(token), KEY);
  await refused(authenticate(bearer(token), KEY, { tokenTtlMaxS: LIFETIME_S - 1 }));
  await expect(authenticate(bearer(token), KEY, { tokenTtlMaxS: LIFETIME_S })).resolves.toMatchObject({ id: 's-cache-3' });
});

test('a token differing from a verified one in its signature alone is refused', async () => {
  const token = await mint('s-cache-4');
  await authenticate(bearer(token), KEY);
  const [header, payload, signature] = token.split('.');
  const tampered = `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
  await refused(authenticate(bearer(tampered), KEY));
});
