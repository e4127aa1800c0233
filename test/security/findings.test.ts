/**
 * Regression tests of the security review (issue 12), one block per finding, each named after it
 * and driven through HTTP against the real stack (Temporal dev server, MariaDB). Each of them failed
 * on the code the review attacked. The slow-client and size refusals (finding 6) need a listening
 * socket and live in `http-limits.test.ts`; the claim-type fuzz is in `tokens.test.ts` and the
 * ill-formed Unicode fuzz in `fuzz.test.ts`.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import request from 'supertest';
import { buildApi } from '../../api/server';
import { LedgerEntry } from '../../db/ledger/entities';
import { Notification } from '../../db/notifications/entities';
import { Payout } from '../../db/payouts/entities';
import { SandboxTransaction } from '../../db/sandbox/entities';
import { SellerAccount } from '../../db/reserve/entities';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, TEST_JWT_SECRET, uniqueId, type Stack } from '../support/stack';

const SECRET = new TextEncoder().encode(TEST_JWT_SECRET);
const nowS = () => Math.floor(Date.now() / 1000);

/** A token with exactly these claims (and a sane iat/exp unless given). */
function mint(claims: JWTPayload): Promise<string> {
  const payload: JWTPayload = { iat: nowS(), exp: nowS() + 3_600, ...claims };
  for (const [key, value] of Object.entries(payload)) if (value === undefined) delete payload[key];
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(SECRET);
}

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

describe('finding 1 (HIGH): a JWT whose sub is not a string reads and moves another seller\'s money', () => {
  const digits = String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000));
  let victim: Market;
  let victimOrder: string;

  beforeAll(async () => {
    victim = await openMarket(stack, { reserveFen: 10_000, sellerId: `${digits}-${randomUUID().slice(0, 8)}-victim` });
    victimOrder = await victim.order();
    await victim.createPayout({ orderId: victimOrder, amount: 1_000 }).expect(201);
  });

  async function victimState() {
    const em = stack.orm.em.fork();
    const account = await em.findOneOrFail(SellerAccount, { sellerId: victim.sellerId });
    return {
      enabled: account.enabled,
      availableFen: account.availableFen,
      heldFen: account.heldFen,
      movements: await em.count(LedgerEntry, { sellerId: victim.sellerId }),
      providerCalls: await em.count(SandboxTransaction, { sellerId: victim.sellerId }),
    };
  }

  const attacks: [string, JWTPayload][] = [
    ['a numeric sub matching the victim id prefix', { sub: Number(digits) as unknown as string, role: 'seller' }],
    ['sub 0, which MySQL would compare with every non-numeric id', { sub: 0 as unknown as string, role: 'seller' }],
    ['an array sub holding the victim id', { sub: [`${digits}-x`] as unknown as string, role: 'seller' }],
    ['a sub-account whose seller_id is a number', { sub: 'ops', role: 'sub_account', seller_id: Number(digits) }],
    ['a sub-account whose seller_id is an array', { sub: 'ops', role: 'sub_account', seller_id: [`${digits}-x`] }],
  ];

  test.each(attacks)('%s is 401 on every read and write of the account, and nothing moves', async (_label, claims) => {
    const before = await victimState();
    const token = await mint(claims);
    const reads = ['/v1/payout-account', '/v1/payout-account/statement', '/v1/payouts', '/v1/payouts/export.csv', '/v1/payouts/summary'];
    for (const url of reads) {
      const res = await stack.http.get(url).set(bearer(token));
      expect([url, res.status, res.body.error?.code]).toEqual([url, 401, 'UNAUTHENTICATED']);
    }
    const writes: [string, object][] = [
      ['/v1/payout-account/disable', {}],
      ['/v1/payout-account/withdrawals', { amount: 100 }],
      ['/v1/payouts', { orderId: victimOrder, amount: 100, reason: 'OTHER' }],
    ];
    for (const [url, body] of writes) {
      const res = await stack.http.post(url).set(bearer(token)).set('Idempotency-Key', uniqueId('k')).send(body);
      expect([url, res.status, res.body.error?.code]).toEqual([url, 401, 'UNAUTHENTICATED']);
    }
    expect(await victimState()).toEqual(before);
  });

  test('no query can compare an id column with a non-string: the ORM refuses it before SQL', async () => {
    const em = stack.orm.em.fork();
    await expect(em.find(SellerAccount, { sellerId: Number(digits) as unknown as string })).rejects.toThrow(/id column/);
    await expect(em.count(Payout, { sellerId: { $in: [0 as unknown as string] } })).rejects.toThrow(/id column/);
    await expect(em.nativeUpdate(SellerAccount, { sellerId: 0 as unknown as string }, { enabled: false })).rejects.toThrow(/id column/);
    expect((await victimState()).enabled).toBe(true);
  });

  test('ids compare exactly: the victim id in capitals is another, empty seller', async () => {
    const shouting = await mint({ sub: victim.sellerId.toUpperCase(), role: 'seller' });
    const res = await stack.http.get('/v1/payout-account').set(bearer(shouting)).expect(200);
    expect(res.body).toMatchObject({ sellerId: victim.sellerId.toUpperCase(), enabled: false, balance: { available: 0, held: 0 } });
    const list = await stack.http.get('/v1/payouts').set(bearer(shouting)).expect(200);
    expect(list.body.items).toEqual([]);
  });
});

describe('finding 2: a note holding a lone UTF-16 surrogate gets 500 after the money is held', () => {
  let market: Market;
  beforeAll(async () => {
    market = await openMarket(stack, { reserveFen: 10_000 });
  });

  test('is 400 VALIDATION_ERROR before anything happens, and stays 400 on retry with the key', async () => {
    const orderId = await market.order();
    const key = uniqueId('k');
    const text = `{"orderId":"${orderId}","amount":321,"reason":"OTHER","note":"x\\ud800y"}`;
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const res = await stack.http.post('/v1/payouts').set(bearer(market.seller)).set('Idempotency-Key', key).set('Content-Type', 'application/json').send(text);
      expect([res.status, res.body.error?.code, res.body.error?.field]).toEqual([400, 'VALIDATION_ERROR', 'body.note']);
    }
    expect(await stack.orm.em.fork().count(Payout, { orderId })).toBe(0);
    expect((await market.account()).balance).toEqual({ available: 10_000, held: 0 });
  });

  test('a lone low surrogate in a key, or encoded in the path or the query, is refused as well', async () => {
    const body = await stack.http.put(`/v1/orders/${uniqueId('order')}`).set(bearer(market.system)).set('Content-Type', 'application/json').send('{"\\udc00":1}');
    expect([body.status, body.body.error?.code]).toEqual([400, 'VALIDATION_ERROR']);
    const path = await stack.http.get('/v1/payouts/%ED%A0%80').set(bearer(market.seller));
    expect([path.status, path.body.error?.code, path.body.error?.field]).toEqual([400, 'VALIDATION_ERROR', 'path']);
    const query = await stack.http.get('/v1/payouts?orderId=%ED%A0%80').set(bearer(market.seller));
    expect([query.status, query.body.error?.code, query.body.error?.field]).toEqual([400, 'VALIDATION_ERROR', 'query.orderId']);
  });

  test('what a request may send is stored: a note of four-byte characters replays, and its card is stored', async () => {
    const orderId = await market.order();
    const key = uniqueId('k');
    const body = { orderId, amount: 321, note: '退款 😀 𠀀 x' };
    const first = await market.createPayout(body, { 'Idempotency-Key': key }).expect(201);
    const replay = await market.createPayout(body, { 'Idempotency-Key': key }).expect(201);
    expect(replay.body).toEqual(first.body);
    expect(first.body.note).toBe(body.note);
    const card = await eventually(() => stack.orm.em.fork().findOne(Notification, { payoutId: first.body.id, kind: 'PAYOUT_SENT' }));
    expect(card.payload).toMatchObject({ note: body.note });
  });
});

describe('finding 3: sub-accounts of two sellers that share an id share one idempotency scope and one rate-limit bucket', () => {
  let a: Market;
  let b: Market;
  let aOps: string;
  let bOps: string;
  beforeAll(async () => {
    [a, b] = await Promise.all([openMarket(stack, { reserveFen: 10_000 }), openMarket(stack, { reserveFen: 10_000 })]);
    const opsId = uniqueId('op');
    for (const market of [a, b]) {
      await stack.http.put(`/v1/sub-accounts/${opsId}/permissions`).set(bearer(market.seller)).send({ payout: true }).expect(200);
    }
    [aOps, bOps] = await Promise.all([stack.token(opsId, 'sub_account', a.sellerId), stack.token(opsId, 'sub_account', b.sellerId)]);
  });

  test("B's op replaying A's op's key and body does not get A's payout back", async () => {
    const key = uniqueId('k');
    const aBody = { orderId: await a.order(), amount: 500, reason: 'OTHER', note: 'A only' };
    const aPayout = await stack.http.post('/v1/payouts').set(bearer(aOps)).set('Idempotency-Key', key).send(aBody).expect(201);
    expect(aPayout.body.sellerId).toBe(a.sellerId);
    const replay = await stack.http.post('/v1/payouts').set(bearer(bOps)).set('Idempotency-Key', key).send(aBody);
    expect([replay.status, replay.body.error?.code]).toEqual([404, 'NOT_FOUND']);
  });

  test("B's op's own payout with a key A's op used is B's new payout, not 409", async () => {
    const key = uniqueId('k');
    const aPayout = await stack.http.post('/v1/payouts').set(bearer(aOps)).set('Idempotency-Key', key).send({ orderId: await a.order(), amount: 500, reason: 'OTHER' }).expect(201);
    const bBody = { orderId: await b.order(), amount: 700, reason: 'OTHER' };
    const bPayout = await stack.http.post('/v1/payouts').set(bearer(bOps)).set('Idempotency-Key', key).send(bBody).expect(201);
    expect(bPayout.body).toMatchObject({ sellerId: b.sellerId, buyerId: b.buyerId, amount: 700 });
    expect(bPayout.body.id).not.toBe(aPayout.body.id);
  });

  test("A's burst does not make B's first write 429", async () => {
    const { app } = buildApi({ config: stack.config, orm: stack.orm, temporal: stack.client, rateLimit: { burst: 2, refillPerSecond: 0.1 } });
    const limited = request(app.callback());
    const eligibility = (token: string) => limited.post('/v1/orders/payout-eligibility').set(bearer(token)).send({ orderIds: ['order-x'] });
    await eligibility(aOps).expect(200);
    await eligibility(aOps).expect(200);
    await eligibility(aOps).expect(429);
    await eligibility(bOps).expect(200);
  });
});

describe('finding 4: notifications are filtered by recipient id, not role', () => {
  test("a buyer token whose sub is a seller's id does not read that seller's cards", async () => {
    const market = await openMarket(stack, { reserveFen: 1_000 });
    await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(market.seller)).send({ threshold: 800 }).expect(200);
    await stack.http.post('/v1/payout-account/withdrawals').set(bearer(market.seller)).set('Idempotency-Key', uniqueId('wd')).send({ amount: 500 }).expect(201);
    const card = await stack.orm.em.fork().findOneOrFail(Notification, { recipientId: market.sellerId, kind: 'LOW_BALANCE' });
    expect(card.recipientRole).toBe('seller');
    const impostor = await stack.token(market.sellerId, 'buyer');
    const res = await stack.http.get('/v1/buyer/notifications').set(bearer(impostor)).expect(200);
    expect(res.body.items).toEqual([]);
  });
});

describe('finding 5: GET /v1/payouts/summary?createdFrom=2026-06-30T23:59:60Z is 500', () => {
  let seller: string;
  beforeAll(async () => {
    seller = (await openMarket(stack, { reserveFen: 0 })).seller;
  });

  test.each([
    ['a leap second', '2026-06-30T23:59:60Z'],
    ['an instant past the year 9999 once its offset is applied', '9999-12-31T23:59:59-05:00'],
    ['an instant before the year 1000', '0999-12-31T23:59:59Z'],
  ])('%s is 400 VALIDATION_ERROR on the summary, the list and the export alike', async (_label, instant) => {
    for (const path of ['/v1/payouts/summary', '/v1/payouts', '/v1/payouts/export.csv']) {
      for (const name of ['createdFrom', 'createdTo']) {
        const res = await stack.http.get(`${path}?${name}=${encodeURIComponent(instant)}`).set(bearer(seller));
        expect([path, name, res.status, res.body.error?.code, res.body.error?.field]).toEqual([path, name, 400, 'VALIDATION_ERROR', `query.${name}`]);
      }
    }
  });

  test('a valid instant with an offset is read as the instant it names', async () => {
    const res = await stack.http.get(`/v1/payouts/summary?createdFrom=${encodeURIComponent('2026-06-30T23:59:59.5+08:00')}&createdTo=2026-07-01T00:00:00Z`).set(bearer(seller)).expect(200);
    expect(res.body.createdFrom).toBe('2026-06-30T15:59:59.500Z');
  });
});

describe('finding 7: a token with exp 100 years ahead is accepted', () => {
  const sub = () => uniqueId('seller');
  const yearS = 365 * 86_400;

  test.each<[string, JWTPayload]>([
    ['exp 100 years ahead', { exp: nowS() + 100 * yearS }],
    ['no iat', { iat: undefined }],
    ['iat in the future beyond the skew', { iat: nowS() + 120, exp: nowS() + 3_600 }],
    ['a lifetime one second above 24 h', { iat: nowS() - 10, exp: nowS() - 10 + 86_401 }],
    ['iat that is not a number', { iat: String(nowS()) as unknown as number }],
  ])('a token with %s is 401', async (_label, claims) => {
    const res = await stack.http.get('/v1/payouts').set(bearer(await mint({ sub: sub(), role: 'seller', ...claims })));
    expect([res.status, res.body.error?.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  test('a lifetime of exactly 24 h passes, and AUTH_MAX_TOKEN_TTL narrows it', async () => {
    const day = await mint({ sub: sub(), role: 'seller', iat: nowS(), exp: nowS() + 86_400 });
    await stack.http.get('/v1/payouts').set(bearer(day)).expect(200);
    const { app } = buildApi({ config: { ...stack.config, authTokenTtlMaxS: 600 }, orm: stack.orm, temporal: stack.client });
    const narrow = request(app.callback());
    await narrow.get('/v1/payouts').set(bearer(await mint({ sub: sub(), role: 'seller', exp: nowS() + 600 }))).expect(200);
    const res = await narrow.get('/v1/payouts').set(bearer(await mint({ sub: sub(), role: 'seller', exp: nowS() + 601 })));
    expect(res.status).toBe(401);
  });

  test('the tokens the project mints itself carry iat and a lifetime within the bound', async () => {
    const token = await stack.token(sub(), 'seller');
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as { iat: number; exp: number };
    expect(typeof claims.iat).toBe('number');
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(stack.config.authTokenTtlMaxS);
  });
});
