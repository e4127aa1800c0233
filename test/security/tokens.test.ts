/**
 * SPEC §8 authentication: bearer JWT, HS256 with AUTH_JWT_SECRET, `exp` required, 30 s of clock
 * skew. Every way a token can be wrong answers 401 `UNAUTHENTICATED`; tokens are minted by hand with
 * jose so that each one is wrong in exactly one way.
 *
 * Also the per-principal write limit (api/rate-limit.ts), which sits right after authentication:
 * the bucket itself against a fake clock, and 429 `RATE_LIMITED` with `Retry-After` through HTTP.
 */
import { SignJWT, type JWTPayload } from 'jose';
import request from 'supertest';
import { buildApi } from '../../api/server';
import { RateLimiter, WRITE_BURST_MAX } from '../../api/rate-limit';
import { conformingRequest } from '../support/contract';
import { bearer } from '../support/scenario';
import { startStack, TEST_JWT_SECRET, uniqueId, type Stack } from '../support/stack';

/** A protected read that a seller may call and that needs no data: 200 for a good token. */
const PROBE = '/v1/payouts';
const SECRET = new TextEncoder().encode(TEST_JWT_SECRET);
const nowS = () => Math.floor(Date.now() / 1000);

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ worker: 'none' });
});
afterAll(() => stack.stop());

interface Mint {
  claims?: JWTPayload;
  alg?: string;
  secret?: Uint8Array;
}

/** A seller token valid for an hour unless the overrides say otherwise (undefined removes a claim). */
async function mint({ claims = {}, alg = 'HS256', secret = SECRET }: Mint = {}): Promise<string> {
  const payload: JWTPayload = { sub: uniqueId('seller'), role: 'seller', iat: nowS(), exp: nowS() + 3_600, ...claims };
  for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function expect401(authorization: string | undefined) {
  const req = stack.http.get(PROBE);
  if (authorization !== undefined) req.set('Authorization', authorization);
  const res = await req;
  expect(res.status).toBe(401);
  expect(res.body.error.code).toBe('UNAUTHENTICATED');
  expect(typeof res.body.error.message).toBe('string');
  expect(res.headers['x-request-id']).toBeTruthy();
}

describe('401 UNAUTHENTICATED', () => {
  test('without an Authorization header', () => expect401(undefined));
  test('with an empty Authorization header', () => expect401(''));
  test('with the Basic scheme', () => expect401(`Basic ${Buffer.from('seller:password').toString('base64')}`));
  test('with a bare token and no scheme', async () => expect401(await mint()));
  test('with "Bearer" and nothing after it', () => expect401('Bearer '));
  test('with a malformed token', () => expect401('Bearer not-a-jwt'));
  test('with three segments of garbage', () => expect401('Bearer abc.def.ghi'));
  test('with a token longer than the bound', async () => expect401(`Bearer ${(await mint()).padEnd(5_000, 'A')}`));
  test('with a token whose signature was altered', async () => {
    const [header, payload, signature] = (await mint()).split('.');
    const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
    await expect401(`Bearer ${header}.${payload}.${flipped}`);
  });
  test('with a token whose payload was altered (role raised) but the signature kept', async () => {
    const [header, , signature] = (await mint({ claims: { role: 'buyer' } })).split('.');
    await expect401(`Bearer ${header}.${base64url({ sub: 'someone', role: 'auditor', exp: nowS() + 3_600 })}.${signature}`);
  });
  test('with a token expired beyond the 30 s skew', async () => expect401(`Bearer ${await mint({ claims: { iat: nowS() - 7_200, exp: nowS() - 60 } })}`));
  test('with a token not valid before a time beyond the skew', async () => expect401(`Bearer ${await mint({ claims: { nbf: nowS() + 120 } })}`));
  test('with a token signed with another secret', async () => expect401(`Bearer ${await mint({ secret: new TextEncoder().encode('another-secret-0123456789abcdef0123') })}`));
  test('with alg none and an empty signature', async () => {
    const header = base64url({ alg: 'none', typ: 'JWT' });
    const payload = base64url({ sub: uniqueId('seller'), role: 'seller', iat: nowS(), exp: nowS() + 3_600 });
    await expect401(`Bearer ${header}.${payload}.`);
  });
  test.each(['HS384', 'HS512'])('with a token signed %s with the right secret (the algorithm is pinned)', async (alg) => {
    await expect401(`Bearer ${await mint({ alg })}`);
  });
  test('with a token without exp', async () => expect401(`Bearer ${await mint({ claims: { exp: undefined } })}`));
  test('with a token whose exp is not a number', async () => expect401(`Bearer ${await mint({ claims: { exp: String(nowS() + 3_600) as unknown as number } })}`));
  test('with a token without sub', async () => expect401(`Bearer ${await mint({ claims: { sub: undefined } })}`));
  test('with a token whose sub is not a valid id', async () => expect401(`Bearer ${await mint({ claims: { sub: 'seller 1; drop table payouts' } })}`));
  test.each([['an unknown role', 'admin'], ['no role', undefined], ['a role of another type', ['seller']], ['the role "anyone"', 'anyone']])(
    'with a token with %s',
    async (_label, role) => expect401(`Bearer ${await mint({ claims: { role } })}`),
  );
  test('with a sub_account token without seller_id', async () => expect401(`Bearer ${await mint({ claims: { role: 'sub_account' } })}`));
  test('with a sub_account token whose seller_id is not a valid id', async () => {
    await expect401(`Bearer ${await mint({ claims: { role: 'sub_account', seller_id: 'a b' } })}`);
  });
});

/**
 * Claim types (issue 12, finding 1): a JWT payload is any JSON, and a claim read without its type
 * checked let a numeric `sub` match another seller's id in MySQL. Every claim, for a seller and for a
 * sub-account token, is given every JSON type it must not have; each such token is 401.
 */
describe('401 for every claim of a type it must not have', () => {
  const wrongTypes: [string, unknown][] = [
    ['the number 0', 0], ['a number like an id prefix', 547_215_808_808], ['a negative fraction', -1.5], ['true', true], ['false', false],
    ['null', null], ['an empty array', []], ['an array holding an id', ['seller-1']], ['an empty object', {}], ['an object holding an id', { id: 'seller-1' }],
  ];
  const stringClaims = ['sub', 'role', 'seller_id'] as const;
  const numericClaims = ['exp', 'iat', 'nbf'] as const;
  const cases: [string, string, string, unknown][] = [];
  for (const role of ['seller', 'sub_account']) {
    for (const claim of stringClaims) for (const [label, value] of wrongTypes) cases.push([role, claim, label, value]);
    for (const claim of numericClaims) {
      for (const [label, value] of [...wrongTypes.filter(([, v]) => typeof v !== 'number'), ['a numeric string', String(nowS())] as [string, unknown]]) cases.push([role, claim, label, value]);
    }
  }

  test.each(cases)('a %s token whose %s is %s', async (role, claim, _label, value) => {
    const base: JWTPayload = { role, ...(role === 'sub_account' ? { seller_id: uniqueId('seller') } : {}) };
    await expect401(`Bearer ${await mint({ claims: { ...base, [claim]: value } })}`);
  });

  test('the same claims with their right types pass, so the refusals above are about the types', async () => {
    const sellerId = uniqueId('seller');
    await stack.http.get(PROBE).set(bearer(await mint({ claims: { role: 'seller', nbf: nowS() - 1 } }))).expect(200);
    const subId = uniqueId('sub');
    await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(await mint({ claims: { sub: sellerId } }))).send({ payout: true }).expect(200);
    await stack.http.get(PROBE).set(bearer(await mint({ claims: { sub: subId, role: 'sub_account', seller_id: sellerId } }))).expect(200);
  });
});

describe('accepted tokens', () => {
  test('a well-formed seller token passes', async () => {
    await stack.http.get(PROBE).set(bearer(await mint())).expect(200);
  });
  test('a token that expired less than the skew ago still passes', async () => {
    await stack.http.get(PROBE).set(bearer(await mint({ claims: { iat: nowS() - 3_600, exp: nowS() - 10 } }))).expect(200);
  });
  test('a token issued by a clock slightly ahead (iat and nbf within the skew) still passes', async () => {
    await stack.http.get(PROBE).set(bearer(await mint({ claims: { iat: nowS() + 10, nbf: nowS() + 10 } }))).expect(200);
  });
});

describe('RateLimiter (the bucket, on a fake clock)', () => {
  function limiter(options: ConstructorParameters<typeof RateLimiter>[0] = {}) {
    const clock = { ms: 1_000_000 };
    return { clock, limiter: new RateLimiter({ burst: 3, refillPerSecond: 1, now: () => clock.ms, ...options }) };
  }
  const seller = { id: 'seller-1', role: 'seller' as const };

  test('a burst passes, the next is refused with the seconds until a token is back', () => {
    const { limiter: l } = limiter({ refillPerSecond: 0.25 });
    expect([1, 2, 3].map(() => l.take(seller).allowed)).toEqual([true, true, true]);
    expect(l.take(seller)).toEqual({ allowed: false, retryAfterS: 4 });
  });

  test('tokens come back at the sustained rate, never above the burst', () => {
    const { clock, limiter: l } = limiter();
    for (let i = 0; i < 3; i += 1) l.take(seller);
    expect(l.take(seller).allowed).toBe(false);
    clock.ms += 1_000;
    expect(l.take(seller).allowed).toBe(true);
    expect(l.take(seller).allowed).toBe(false);
    clock.ms += 3_600_000;
    expect([1, 2, 3, 4].map(() => l.take(seller).allowed)).toEqual([true, true, true, false]);
  });

  test('refused attempts do not push the wait further out', () => {
    const { clock, limiter: l } = limiter();
    for (let i = 0; i < 3; i += 1) l.take(seller);
    for (let i = 0; i < 10; i += 1) expect(l.take(seller)).toEqual({ allowed: false, retryAfterS: 1 });
    clock.ms += 1_000;
    expect(l.take(seller).allowed).toBe(true);
  });

  test('principals have their own buckets, and the role is part of the key', () => {
    const { limiter: l } = limiter({ burst: 1 });
    expect(l.take(seller).allowed).toBe(true);
    expect(l.take(seller).allowed).toBe(false);
    expect(l.take({ id: 'seller-2', role: 'seller' }).allowed).toBe(true);
    expect(l.take({ id: 'seller-1', role: 'buyer' }).allowed).toBe(true);
  });

  test('a role may have its own limits', () => {
    const { limiter: l } = limiter({ burst: 1, byRole: { system: { burst: 5, refillPerSecond: 1 } } });
    const system = { id: 'trade-system', role: 'system' as const };
    expect(Array.from({ length: 6 }, () => l.take(system).allowed)).toEqual([true, true, true, true, true, false]);
  });

  test('the number of tracked principals is bounded; the least recently seen is forgotten', () => {
    const { limiter: l } = limiter({ burst: 1, principalsMax: 3 });
    for (const id of ['a', 'b', 'c']) l.take({ id, role: 'seller' });
    l.take({ id: 'a', role: 'seller' }); // refused, and now the most recently seen
    l.take({ id: 'd', role: 'seller' });
    expect(l.size).toBe(3);
    expect(l.take({ id: 'a', role: 'seller' }).allowed).toBe(false); // still tracked
    expect(l.take({ id: 'b', role: 'seller' }).allowed).toBe(true); // was forgotten: a full bucket again
  });

  test('nonsensical limits are refused at construction', () => {
    expect(() => new RateLimiter({ burst: 0 })).toThrow();
    expect(() => new RateLimiter({ refillPerSecond: 0 })).toThrow();
    expect(() => new RateLimiter({ principalsMax: 0 })).toThrow();
  });

  test('the default burst is above the ~30 concurrent writes of one seller that clients fire', () => {
    expect(WRITE_BURST_MAX).toBeGreaterThanOrEqual(40);
  });
});

describe('429 RATE_LIMITED on writes, through HTTP', () => {
  /** An app on the same database and Temporal, with a bucket of 3 writes refilled every 2 s. */
  let limited: ReturnType<typeof request>;
  beforeAll(() => {
    const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal: stack.client, rateLimit: { burst: 3, refillPerSecond: 0.5 } });
    limited = conformingRequest(app.callback());
  });
  const eligibility = (token: string) => limited.post('/v1/orders/payout-eligibility').set(bearer(token)).send({ orderIds: ['order-x'] });

  test('past the burst a principal gets 429 with Retry-After; others and reads are not affected', async () => {
    const token = await stack.token(uniqueId('seller'), 'seller');
    for (let i = 0; i < 3; i += 1) await eligibility(token).expect(200);
    const refused = await eligibility(token).expect(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 2 });
    expect(refused.headers['retry-after']).toBe('2');
    expect(refused.headers['x-request-id']).toBeTruthy();
    await limited.get('/v1/payouts').set(bearer(token)).expect(200);
    await eligibility(await stack.token(uniqueId('seller'), 'seller')).expect(200);
  });

  test('unauthenticated and forbidden writes are answered 401/403 and take no token', async () => {
    const sellerId = uniqueId('seller');
    const token = await stack.token(sellerId, 'seller');
    const sub = await stack.token(uniqueId('sub'), 'sub_account', sellerId);
    for (let i = 0; i < 5; i += 1) {
      await limited.post('/v1/orders/payout-eligibility').send({ orderIds: ['order-x'] }).expect(401);
      // A sub-account without the payout permission is refused before the limiter.
      await eligibility(sub).expect(403);
      await limited.post('/v1/payouts/00000000-0000-4000-8000-000000000000/confirm').set(bearer(token)).expect(403);
    }
    for (let i = 0; i < 3; i += 1) await eligibility(token).expect(200);
  });

  test('the default limit lets 40 concurrent writes of one seller through', async () => {
    const token = await stack.token(uniqueId('seller'), 'seller');
    const responses = await Promise.all(Array.from({ length: 40 }, () => stack.http.post('/v1/orders/payout-eligibility').set(bearer(token)).send({ orderIds: ['order-x'] })));
    expect(responses.map((r) => r.status)).toEqual(Array(40).fill(200));
  });
});
