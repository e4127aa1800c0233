/**
 * SPEC §7, the settings change log, through HTTP on the real stack: each change of the switch,
 * the limits, the alert threshold and a sub-account's permission is logged with who, when, before
 * and after; a refused or empty change logs nothing; a change and its log row commit together or
 * not at all (a database that refuses the log row makes the change fail too); sellers read their
 * own log, auditors anyone's.
 */
import { DEFAULT_LIMITS, bearer, openMarket, type Market } from '../support/scenario';
import { startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
let a: Market;
let b: Market;

beforeAll(async () => {
  stack = await startStack({ worker: 'none' });
  [a, b] = await Promise.all([openMarket(stack, { reserveFen: 0 }), openMarket(stack, { reserveFen: 0 })]);
});
afterAll(() => stack.stop());

interface Change { id: number; sellerId: string; setting: string; actor: { id: string; role: string }; changedAt: string; before: unknown; after: unknown }

async function changesOf(market: Market, query: Record<string, string | number> = {}): Promise<Change[]> {
  return (await stack.http.get('/v1/audit/settings-changes').set(bearer(market.seller)).query(query).expect(200)).body.items;
}

const LOWER = { dailyCount: 10, dailyAmount: 100_000, perPayoutAmount: 5_000 };

test('enabling, limits, the alert, disabling and a sub-account permission are each logged with who, when, before and after', async () => {
  const since = Date.now() - 60_000;
  const subId = uniqueId('sub');
  await stack.http.put('/v1/payout-account/limits').set(bearer(a.seller)).send(LOWER).expect(200);
  await stack.http.put('/v1/payout-account/low-balance-alert').set(bearer(a.seller)).send({ threshold: 2_000 }).expect(200);
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(a.seller)).send({ payout: true }).expect(200);
  await stack.http.post('/v1/payout-account/disable').set(bearer(a.seller)).expect(200);
  const changes = await changesOf(a);
  expect(changes.map((c) => [c.setting, c.before, c.after])).toEqual([
    ['enabled', true, false],
    ['subAccountPermission', { subAccountId: subId, payout: false }, { subAccountId: subId, payout: true }],
    ['lowBalanceThreshold', null, 2_000],
    ['limits', DEFAULT_LIMITS, LOWER],
    ['limits', null, DEFAULT_LIMITS],
    ['enabled', false, true],
  ]);
  for (const change of changes) {
    expect(change).toMatchObject({ sellerId: a.sellerId, actor: { id: a.sellerId, role: 'seller' } });
    expect(Date.parse(change.changedAt)).toBeGreaterThan(since);
  }
});

test('a refused change, or one that changes nothing, logs nothing', async () => {
  const before = await changesOf(b);
  await stack.http.put('/v1/payout-account/limits').set(bearer(b.seller)).send({ ...DEFAULT_LIMITS, perPayoutAmount: 100_001 }).expect(422);
  await stack.http.put('/v1/payout-account/limits').set(bearer(b.seller)).send(DEFAULT_LIMITS).expect(200);
  await stack.http.put(`/v1/sub-accounts/${uniqueId('sub')}/permissions`).set(bearer(b.seller)).send({ payout: false }).expect(200);
  expect(await changesOf(b)).toEqual(before);
});

test('a change and its log row commit together: when the log row is refused, the change is not made', async () => {
  const market = await openMarket(stack, { reserveFen: 0 });
  const connection = stack.orm.em.fork().getConnection();
  const trigger = `settings_changes_refuse_${market.sellerId.replace(/\W/g, '_')}`;
  // The database refuses this seller's log rows, as a full disk or a lost connection would.
  await connection.execute(`create trigger ${trigger} before insert on settings_changes for each row
    if new.seller_id = '${market.sellerId}' then signal sqlstate '45000' set message_text = 'log refused'; end if`);
  try {
    await stack.http.put('/v1/payout-account/limits').set(bearer(market.seller)).send(LOWER).expect(500);
    await stack.http.post('/v1/payout-account/disable').set(bearer(market.seller)).expect(500);
  } finally {
    await connection.execute(`drop trigger ${trigger}`);
  }
  const account = await market.account();
  expect(account).toMatchObject({ enabled: true, limits: DEFAULT_LIMITS });
  expect((await changesOf(market)).map((c) => c.setting)).toEqual(['limits', 'enabled']);
  await stack.http.put('/v1/payout-account/limits').set(bearer(market.seller)).send(LOWER).expect(200);
  expect((await changesOf(market))[0]).toMatchObject({ setting: 'limits', before: DEFAULT_LIMITS, after: LOWER });
});

test('sellers read their own log; auditors read any seller\'s, filtered and paged; others are refused', async () => {
  const own = await changesOf(b, { sellerId: a.sellerId });
  expect(own.length).toBeGreaterThan(0);
  expect(own.every((c) => c.sellerId === b.sellerId)).toBe(true);
  const ofA = await stack.http.get('/v1/audit/settings-changes').set(bearer(a.auditor)).query({ sellerId: a.sellerId }).expect(200);
  expect(ofA.body.items.map((c: Change) => c.sellerId)).toEqual(Array(ofA.body.items.length).fill(a.sellerId));
  const limitsOnly = await stack.http.get('/v1/audit/settings-changes').set(bearer(a.auditor)).query({ sellerId: a.sellerId, setting: 'limits' }).expect(200);
  expect(limitsOnly.body.items.map((c: Change) => c.setting)).toEqual(['limits', 'limits']);
  const pages: Change[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 10; page++) {
    const res = await stack.http.get('/v1/audit/settings-changes').set(bearer(a.auditor)).query({ sellerId: a.sellerId, limit: 2, ...(cursor ? { cursor } : {}) }).expect(200);
    pages.push(...res.body.items);
    cursor = res.body.nextCursor ?? undefined;
    if (!cursor) break;
  }
  expect(pages).toEqual(ofA.body.items);
  const everyone = await stack.http.get('/v1/audit/settings-changes').set(bearer(a.auditor)).query({ limit: 100 }).expect(200);
  expect(everyone.body.items.some((c: Change) => c.sellerId === b.sellerId)).toBe(true);
  await stack.http.get('/v1/audit/settings-changes').set(bearer(a.buyer)).expect(403);
  await stack.http.get('/v1/audit/settings-changes').set(bearer(await stack.token(uniqueId('sub'), 'sub_account', a.sellerId))).expect(403);
  await stack.http.get('/v1/audit/settings-changes').set(bearer(a.auditor)).query({ setting: 'colour' }).expect(400);
  await stack.http.get('/v1/audit/settings-changes').set(bearer(a.auditor)).query({ cursor: 'bm90LWEtbnVtYmVy' }).expect(400);
});
