/**
 * SPEC §5 automatic top-up through HTTP on the real stack: the setting (main account only, logged,
 * shown on the account, bad input refused), a crossing hold making one top-up with the memo 自动充值,
 * two concurrent crossings making one, `dailyMax` stopping one with a card, a refused withholding
 * sending a card and turning the setting off (logged as the system's change), and a payout refused
 * for INSUFFICIENT_RESERVE counting as a crossing. The ledger stays balanced against the provider.
 */
import { checkInvariants } from '../../db/ledger/invariants';
import { TopUpCrossing } from '../../db/reserve/top-up-entities';
import { SandboxProvider } from '../../provider/sandbox';
import { bearer, openMarket, type Market } from '../support/scenario';
import { eventually, startStack, uniqueId, type Stack } from '../support/stack';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack.stop());

const SETTING = { threshold: 3_000, amount: 10_000, dailyMax: 50_000 };
/** Orders paid ¥400 in cash, so that one payout may take up to ¥200.00 of the reserve. */
const BIG_ORDER = { totalAmount: 40_000, cashPaid: 40_000, nonCashPaid: 0 };
/** The sandbox reads its faults at most once a second. */
const FAULTS_TTL_MS = 1_100;

const put = (m: Market, body: unknown, token = m.seller) => stack.http.put('/v1/payout-account/auto-top-up').set(bearer(token)).send(body as object);
async function pay(m: Market, amount: number, status: number) {
  return m.createPayout({ orderId: await m.order(BIG_ORDER), amount }).expect(status);
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Movement { kind: string; memo: string; amount: number }
async function topUps(m: Market): Promise<Movement[]> {
  const res = await stack.http.get('/v1/payout-account/statement').set(bearer(m.seller)).query({ limit: 100 }).expect(200);
  return (res.body.items as Movement[]).filter((e) => e.memo === '自动充值');
}

async function cards(m: Market, kind: string): Promise<{ kind: string; payload: Record<string, unknown> }[]> {
  const res = await stack.http.get('/v1/seller/notifications').set(bearer(m.seller)).query({ limit: 100 }).expect(200);
  return res.body.items.filter((c: { kind: string }) => c.kind === kind);
}

async function withFaults(faults: Parameters<typeof SandboxProvider.setFaults>[1], work: () => Promise<void>): Promise<void> {
  await SandboxProvider.setFaults(stack.orm, faults);
  await sleep(FAULTS_TTL_MS);
  try {
    await work();
  } finally {
    await SandboxProvider.setFaults(stack.orm, {});
  }
}

async function expectBalanced(m: Market) {
  expect((await checkInvariants(stack.orm.em.fork(), [m.sellerId])).problems).toEqual([]);
}

async function autoTopUpMarket(reserveFen: number, setting = SETTING): Promise<Market> {
  const m = await openMarket(stack, { reserveFen });
  await put(m, setting).expect(200);
  return m;
}

test('the setting: main account only, shown on the account, logged once per change, null turns it off; bad input refused', async () => {
  const m = await openMarket(stack, { reserveFen: 0 });
  const set = await put(m, SETTING).expect(200);
  expect(set.body.autoTopUp).toEqual(SETTING);
  await put(m, SETTING).expect(200);
  const subId = uniqueId('sub');
  const sub = await stack.token(subId, 'sub_account', m.sellerId);
  await stack.http.put(`/v1/sub-accounts/${subId}/permissions`).set(bearer(m.seller)).send({ payout: true }).expect(200);
  expect((await put(m, null, sub).expect(403)).body.error.code).toBe('FORBIDDEN');
  for (const bad of [{ ...SETTING, amount: 60_000 }, { ...SETTING, threshold: 0 }, { ...SETTING, amount: '100' }, { threshold: 1, amount: 1 }, { ...SETTING, extra: 1 }, []]) {
    expect((await put(m, bad).expect(400)).body.error.code).toBe('VALIDATION_ERROR');
  }
  const off = await stack.http.put('/v1/payout-account/auto-top-up').set(bearer(m.seller)).set('Content-Type', 'application/json').send('null').expect(200);
  expect(off.body.autoTopUp).toBeNull();
  const log = await stack.http.get('/v1/audit/settings-changes').set(bearer(m.seller)).query({ setting: 'autoTopUp' }).expect(200);
  expect(log.body.items.map((c: { before: unknown; after: unknown }) => [c.before, c.after])).toEqual([[SETTING, null], [null, SETTING]]);
  const stranger = await stack.token(uniqueId('seller'), 'seller');
  expect((await stack.http.put('/v1/payout-account/auto-top-up').set(bearer(stranger)).send(SETTING).expect(422)).body.error.code).toBe('AGREEMENT_REQUIRED');
});

test('a hold that crosses the threshold withholds the amount once, with the memo 自动充值, and a card', async () => {
  const m = await autoTopUpMarket(5_000);
  await pay(m, 2_500, 201);
  await eventually(async () => (await m.account()).balance.available === 12_500);
  expect(await topUps(m)).toEqual([expect.objectContaining({ kind: 'RECHARGE', amount: 10_000 })]);
  await eventually(async () => (await cards(m, 'AUTO_TOP_UP_DONE')).length === 1);
  // A hold that leaves available above the threshold is no crossing: no top-up.
  await pay(m, 1_000, 201);
  await sleep(1_000);
  expect(await topUps(m)).toHaveLength(1);
  await expectBalanced(m);
});

test('two concurrent crossings (a hold and a payout refused for INSUFFICIENT_RESERVE) make one top-up', async () => {
  const m = await autoTopUpMarket(5_000);
  // The provider answers slowly, so the top-up is still open when the second crossing is recorded.
  await withFaults({ latencyMs: 1_500 }, async () => {
    const answers = await Promise.all([2_500, 4_000].map(async (amount) => m.createPayout({ orderId: await m.order(BIG_ORDER), amount })));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 422]);
    const crossings = await eventually(async () => {
      const rows = await stack.orm.em.fork().find(TopUpCrossing, { sellerId: m.sellerId });
      return rows.length === 2 ? rows : undefined;
    });
    expect(new Set(crossings.map((c) => c.topUpId)).size).toBe(1);
    await eventually(async () => (await topUps(m)).length === 1, 30_000);
  });
  await sleep(1_000);
  expect(await topUps(m)).toHaveLength(1);
  const account = await m.account();
  expect(account.balance.available + account.balance.held).toBe(5_000 + 10_000);
  await expectBalanced(m);
});

test('a top-up that would pass dailyMax is not made, and the seller gets a card', async () => {
  const m = await autoTopUpMarket(5_000, { ...SETTING, dailyMax: 15_000 });
  await pay(m, 2_500, 201);
  await eventually(async () => (await m.account()).balance.available === 12_500);
  await pay(m, 10_000, 201);
  const [card] = await eventually(async () => {
    const found = await cards(m, 'AUTO_TOP_UP_DAILY_MAX_REACHED');
    return found.length ? found : undefined;
  });
  expect(card.payload).toMatchObject({ code: 'DAILY_MAX', amount: 10_000 });
  expect(await topUps(m)).toHaveLength(1);
  expect((await m.account()).balance.available).toBe(2_500);
  await expectBalanced(m);
});

test('a refused withholding sends a card and turns auto top-up off, logged as the system\'s change', async () => {
  const m = await autoTopUpMarket(5_000);
  await withFaults({ refuseWithholdSellerIds: [m.sellerId] }, async () => {
    await pay(m, 2_500, 201);
    const [card] = await eventually(async () => {
      const found = await cards(m, 'AUTO_TOP_UP_REFUSED');
      return found.length ? found : undefined;
    });
    expect(card.payload).toMatchObject({ code: 'INSUFFICIENT_FUNDS', amount: 10_000 });
  });
  const account = await m.account() as unknown as { autoTopUp: unknown; balance: { available: number } };
  expect(account.autoTopUp).toBeNull();
  expect(account.balance.available).toBe(2_500);
  expect(await topUps(m)).toHaveLength(0);
  const log = await stack.http.get('/v1/audit/settings-changes').set(bearer(m.seller)).query({ setting: 'autoTopUp' }).expect(200);
  expect(log.body.items[0]).toMatchObject({ before: SETTING, after: null, actor: { id: 'system', role: 'system' } });
  // Off until set again: the next crossing withholds nothing.
  await pay(m, 2_000, 201);
  await sleep(1_000);
  expect(await topUps(m)).toHaveLength(0);
  await expectBalanced(m);
});

test('a payout refused for INSUFFICIENT_RESERVE is a crossing: the amount is withheld once', async () => {
  const m = await autoTopUpMarket(1_000);
  expect((await pay(m, 2_000, 422)).body.error.code).toBe('INSUFFICIENT_RESERVE');
  await eventually(async () => (await m.account()).balance.available === 11_000);
  expect(await topUps(m)).toHaveLength(1);
  await pay(m, 2_000, 201);
  await expectBalanced(m);
});
