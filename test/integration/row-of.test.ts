/**
 * rowOf (db/row-of.ts) answers a row read by hand-written SQL as the entity's data, converted as
 * `em.map` converts it, without making it a managed entity: compared here column by column with
 * `em.map` on the same rows, as the database hands them over (dates, booleans, big integers, nulls).
 */
import { randomUUID } from 'node:crypto';
import type { EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';
import { insertStatement } from '../../db/insert-once';
import { openOrm, type Orm } from '../../db/orm';
import { NOT_YET_DECIDED, Payout } from '../../db/payouts/entities';
import { SellerAccount } from '../../db/reserve/entities';
import { rowOf } from '../../db/row-of';

let orm: Orm;
beforeAll(async () => {
  orm = await openOrm(process.env.TEST_DATABASE_URL!);
});
afterAll(() => orm.close());

const at = new Date('2026-12-02T03:04:05.678Z');

/** The row as the driver answers `select *`, then rowOf's data and em.map's entity of it, property by property. */
async function bothOf<T extends object>(entity: EntityName<T>, table: string, key: string, id: string) {
  const [columns]: Record<string, unknown>[] = await orm.em.fork().getConnection().execute(`select * from ${table} where ${key} = ?`, [id]);
  const em = orm.em.fork() as EntityManager;
  const meta = em.getMetadata().get<T>(entity as string);
  const scalars = meta.props.filter((prop) => prop.kind === 'scalar').map((prop) => prop.name as keyof T);
  const mapped = em.map(entity, { ...columns } as never);
  const plain = rowOf(em, entity, { ...columns });
  return { plain: Object.fromEntries(scalars.map((name) => [name, plain[name]])), mapped: Object.fromEntries(scalars.map((name) => [name, mapped[name]])), managed: em.getUnitOfWork().getIdentityMap().values().length };
}

test.each([
  ['awaiting', { note: 'a note', expiresAt: new Date(at.getTime() + 60_000), approvalExpiresAt: null, requestHash: 'f'.repeat(64) }],
  ['paid', { note: null, expiresAt: at, approvalExpiresAt: at, requestHash: null, ...NOT_YET_DECIDED, status: 'PAID' as const, confirmedAt: at, paidAt: at, closedAt: at, providerTransactionId: 'sbx_1' }],
])('a %s payout: the same data as em.map, as a plain object', async (_name, overrides) => {
  const id = `p-${randomUUID().slice(0, 12)}`;
  const row = {
    id, sellerId: 'seller-ro', buyerId: 'buyer-ro', orderId: `order-${id}`, amountFen: 9_007_199_254_740, reason: 'OTHER' as const,
    initiatedBy: 'seller-ro', chinaDay: '2026-12-02', createdAt: at, status: 'AWAITING_CONFIRMATION' as Payout['status'],
    orderClaim: `order-${id}`, ...NOT_YET_DECIDED, ...overrides,
  };
  const em = orm.em.fork();
  const insert = insertStatement(em, Payout, [row]);
  await em.execute(insert.sql, [...insert.params], 'run');
  const { plain, mapped } = await bothOf(Payout, 'payouts', 'id', id);
  expect(plain).toEqual(mapped);
  expect(plain).toMatchObject({ amountFen: 9_007_199_254_740, createdAt: at, chinaDay: '2026-12-02', ...overrides });
});

test('a seller account: booleans, limits and balances as em.map makes them', async () => {
  const sellerId = `seller-${randomUUID().slice(0, 12)}`;
  const em = orm.em.fork();
  em.create(SellerAccount, {
    sellerId, enabled: true, agreementId: 'agr', agreementSignedAt: at, dailyCountLimit: 100, dailyAmountLimitFen: 500_000, perPayoutLimitFen: 100_000,
    lowBalanceThresholdFen: 1_000, approvalThresholdFen: null, autoTopUpThresholdFen: null, autoTopUpAmountFen: null, autoTopUpDailyMaxFen: null,
    availableFen: 12_345, heldFen: 0, createdAt: at, updatedAt: at,
  });
  await em.flush();
  const { plain, mapped, managed } = await bothOf(SellerAccount, 'seller_accounts', 'seller_id', sellerId);
  expect(plain).toEqual(mapped);
  expect(plain).toMatchObject({ enabled: true, availableFen: 12_345, lowBalanceThresholdFen: 1_000, approvalThresholdFen: null, agreementSignedAt: at });
  // em.map's entity is the only one the identity map holds: rowOf's data is no entity.
  expect(managed).toBe(1);
});
