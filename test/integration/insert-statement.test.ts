/**
 * insertStatement (db/insert-once.ts) writes the INSERT that MikroORM's query builder writes for
 * the same rows, text and parameters alike, from a text it made once per shape: this compares the
 * two for every entity the product inserts that way, and stores rows through it to read them back.
 */
import type { QueryResult } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { AuditChainHead } from '../../db/audit/entities';
import { IdempotencyRecord, Setting } from '../../db/common/entities';
import { insertOnceStatement, insertStatement } from '../../db/insert-once';
import { Notification } from '../../db/notifications/entities';
import { openOrm, type Orm } from '../../db/orm';
import { NOT_YET_DECIDED, Payout } from '../../db/payouts/entities';
import { SandboxTransaction } from '../../db/sandbox/entities';

let orm: Orm;
beforeAll(async () => {
  orm = await openOrm(process.env.TEST_DATABASE_URL!);
});
afterAll(() => orm.close());

const at = new Date('2026-12-02T03:04:05.678Z');

const payout = (id: string) => ({
  id, sellerId: 'seller-is', buyerId: 'buyer-is', orderId: `order-${id}`, amountFen: 1_234, reason: 'OTHER' as const, note: 'a "note"; with ; and ?',
  initiatedBy: 'seller-is', chinaDay: '2026-12-02', createdAt: at, status: 'AWAITING_CONFIRMATION' as const, expiresAt: new Date(at.getTime() + 60_000),
  approvalExpiresAt: null, orderClaim: `order-${id}`, requestHash: null, ...NOT_YET_DECIDED,
});

const card = (dedupeKey: string, payoutId: string) => ({
  dedupeKey, recipientId: 'buyer-is', recipientRole: 'buyer' as const, kind: 'PAYOUT_SENT' as const, payoutId,
  payload: { amount: 1_234, note: 'a "note"', list: [1, 2] }, createdAt: at, deliveredAt: null, readAt: null, undeliverableAt: null,
});

test.each([
  ['a payout', () => insertStatement(orm.em.fork(), Payout, [payout('p-1')]), () => orm.em.fork().createQueryBuilder(Payout).insert(payout('p-1'))],
  ['two cards, ignoring duplicates', () => insertOnceStatement(orm.em.fork(), Notification, [card('d-1', 'p-1'), card('d-2', 'p-1')], ['dedupeKey'])!, () => orm.em.fork().createQueryBuilder(Notification).insert([card('d-1', 'p-1'), card('d-2', 'p-1')]).onConflict(['dedupeKey']).ignore()],
  ['an idempotency record', () => insertOnceStatement(orm.em.fork(), IdempotencyRecord, idempotency(), ['principal', 'operation', 'idemKey'])!, () => orm.em.fork().createQueryBuilder(IdempotencyRecord).insert(idempotency()).onConflict(['principal', 'operation', 'idemKey']).ignore()],
  ['a sandbox transaction', () => insertOnceStatement(orm.em.fork(), SandboxTransaction, sandbox(), ['idempotencyKey'])!, () => orm.em.fork().createQueryBuilder(SandboxTransaction).insert(sandbox()).onConflict(['idempotencyKey']).ignore()],
  ['a setting', () => insertOnceStatement(orm.em.fork(), Setting, setting(), ['name'])!, () => orm.em.fork().createQueryBuilder(Setting).insert(setting()).onConflict(['name']).ignore()],
  ['an audit chain head', () => insertOnceStatement(orm.em.fork(), AuditChainHead, chainHead(), ['sellerId'])!, () => orm.em.fork().createQueryBuilder(AuditChainHead).insert(chainHead()).onConflict(['sellerId']).ignore()],
])('%s: the same text and parameters as the query builder, the second time from the kept text too', (_name, made, built) => {
  const expected = built();
  const first = made();
  expect(first).toEqual({ sql: expected.getQuery(), params: expected.getParams() });
  expect(made()).toEqual(first);
});

function idempotency() {
  return { principal: 'seller:s', operation: 'insert-statement-test', idemKey: 'k', requestHash: 'h', statusCode: 201, responseBody: { ok: true }, createdAt: at };
}
function sandbox() {
  return { idempotencyKey: 'payout:p-1', kind: 'TRANSFER' as const, sellerId: 's', counterpartyId: 'b', amountFen: 100, status: 'SUCCEEDED' as const, refusalCode: null, createdAt: at, transactionId: 'sbx_1', memo: null };
}
function setting() {
  return { name: 'insert-statement-test', value: 'v', updatedAt: at };
}
function chainHead() {
  return { sellerId: 's', lastSeq: 0, lastHash: '0'.repeat(64), updatedAt: at };
}

test('the rows it inserts read back as they were given, and INSERT IGNORE skips a duplicate', async () => {
  const payoutId = `p-${randomUUID().slice(0, 8)}`;
  const em = orm.em.fork();
  const [first, second] = [card(`is:${payoutId}:1`, payoutId), card(`is:${payoutId}:2`, payoutId)];
  const cards = insertOnceStatement(em, Notification, [first, second], ['dedupeKey'])!;
  expect((await em.execute<QueryResult>(cards.sql, [...cards.params], 'run')).affectedRows).toBe(2);
  const again = insertOnceStatement(em, Notification, [first], ['dedupeKey'])!;
  expect((await em.execute<QueryResult>(again.sql, [...again.params], 'run')).affectedRows).toBe(0);
  const read = await orm.em.fork().find(Notification, { payoutId }, { orderBy: { dedupeKey: 'asc' } });
  expect(read.map(({ dedupeKey, recipientId, recipientRole, kind, payload, createdAt, deliveredAt }) => ({ dedupeKey, recipientId, recipientRole, kind, payload, createdAt, deliveredAt }))).toEqual(
    [first, second].map(({ dedupeKey, recipientId, recipientRole, kind, payload, createdAt, deliveredAt }) => ({ dedupeKey, recipientId, recipientRole, kind, payload, createdAt, deliveredAt })),
  );
});

test('rows of different shapes, no rows, and a property that is no plain column are refused before anything is sent', () => {
  const em = orm.em.fork();
  const withoutNote: Partial<ReturnType<typeof payout>> = payout('p-2');
  delete withoutNote.note;
  // The same properties in another order would put values under the wrong columns of the kept text.
  expect(() => insertStatement(em, Payout, [payout('p-1'), { ...withoutNote, note: null } as never])).toThrow(/same properties in the same order/);
  expect(() => insertStatement(em, Payout, [payout('p-1'), withoutNote as never])).toThrow(/same properties/);
  expect(() => insertStatement(em, Payout, [])).toThrow(/needs a row/);
  expect(insertOnceStatement(em, Notification, [], ['dedupeKey'])).toBeUndefined();
  expect(() => insertStatement(em, Payout, [{ ...payout('p-1'), events: [] } as never])).toThrow(/Payout.events is not a plain column/);
});
