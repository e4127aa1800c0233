/** Read side of payouts: records with filters and cursor pagination, timelines, notifications. */
import type { EntityData, EntityManager, FilterQuery } from '@mikro-orm/mysql';
import { DomainError } from '../domain/errors';
import { Notification, Payout, PayoutEvent } from './entities';

/** Every list answers at most this many rows per page. */
export const PAGE_SIZE_MAX = 100;

export interface PayoutFilter {
  sellerId?: string;
  buyerId?: string;
  status?: string;
  orderId?: string;
  initiatedBy?: string;
  createdFrom?: Date;
  createdTo?: Date;
}

interface Cursor {
  createdAt: Date;
  id: string;
}

/** Opaque to clients: the position after the last row of a page (newest first). */
export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(`${cursor.createdAt.toISOString()}|${cursor.id}`).toString('base64url');
}

export function decodeCursor(text: string | undefined): Cursor | null {
  if (!text) return null;
  const [at, id] = Buffer.from(text, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at);
  if (!id || Number.isNaN(createdAt.getTime())) throw new DomainError('VALIDATION_ERROR', 'the cursor is not valid', { field: 'query.cursor' });
  return { createdAt, id };
}

/** The filter as a MikroORM condition; the list and the export share it, so they always agree. */
function payoutWhere(filter: PayoutFilter): FilterQuery<Payout> {
  const where: FilterQuery<Payout> = {};
  if (filter.sellerId) where.sellerId = filter.sellerId;
  if (filter.buyerId) where.buyerId = filter.buyerId;
  if (filter.status) where.status = filter.status as Payout['status'];
  if (filter.orderId) where.orderId = filter.orderId;
  if (filter.initiatedBy) where.initiatedBy = filter.initiatedBy;
  const createdAt: Record<string, Date> = {};
  if (filter.createdFrom) createdAt.$gte = filter.createdFrom;
  if (filter.createdTo) createdAt.$lt = filter.createdTo;
  if (Object.keys(createdAt).length) where.createdAt = createdAt;
  return where;
}

/** Keyset pagination on (createdAt, id), newest first: the rows strictly after the cursor. */
function afterCursor(where: FilterQuery<Payout>, cursor: Cursor | null): FilterQuery<Payout> {
  if (!cursor) return where;
  return { $and: [where, { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }] }] };
}

export async function listPayouts(em: EntityManager, filter: PayoutFilter, cursorText: string | undefined, limit: number) {
  const bounded = Math.min(limit, PAGE_SIZE_MAX);
  const page = afterCursor(payoutWhere(filter), decodeCursor(cursorText));
  const rows = await em.find(Payout, page, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: bounded + 1 });
  const items = rows.slice(0, bounded);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > bounded && last ? encodeCursor(last) : null };
}

/** An export reads this many rows per query, so its memory stays flat whatever its length. */
export const EXPORT_PAGE_SIZE = 500;
/** The most rows one export may hold; a larger one is refused before the first row is sent. */
export const EXPORT_ROWS_MAX = 100_000;

/** Whether more than `rowsMax` payouts match; counts at most `rowsMax + 1` rows to find out. */
export async function exceedsRows(em: EntityManager, filter: PayoutFilter, rowsMax = EXPORT_ROWS_MAX): Promise<boolean> {
  const probe = await em.find(Payout, payoutWhere(filter), {
    fields: ['id'], orderBy: { createdAt: 'desc', id: 'desc' }, offset: rowsMax, limit: 1, disableIdentityMap: true,
  });
  return probe.length > 0;
}

/**
 * Every payout that matches, newest first, one keyset page per query. Rows are read without the
 * identity map, so that a long export does not keep every row it has sent; `rowsMax` bounds the
 * loop even if rows keep arriving.
 */
export async function* payoutRows(
  em: EntityManager,
  filter: PayoutFilter,
  { pageSize = EXPORT_PAGE_SIZE, rowsMax = EXPORT_ROWS_MAX }: { pageSize?: number; rowsMax?: number } = {},
): AsyncGenerator<Payout> {
  const where = payoutWhere(filter);
  let cursor: Cursor | null = null;
  for (let sent = 0; sent < rowsMax; ) {
    const limit = Math.min(pageSize, rowsMax - sent);
    const rows: Payout[] = await em.find(Payout, afterCursor(where, cursor), { orderBy: { createdAt: 'desc', id: 'desc' }, limit, disableIdentityMap: true });
    for (const row of rows) yield row;
    sent += rows.length;
    if (rows.length < limit) return;
    cursor = rows[rows.length - 1];
  }
}

/** A summary covers at most this many days, so that its GROUP BY stays small. */
export const SUMMARY_RANGE_DAYS_MAX = 366;

export interface Tally {
  count: number;
  amountFen: number;
}

export interface PayoutSummaryRow extends Tally {
  chinaDay: string;
  status: string;
}

/** `datetime(3)` columns hold UTC (the ORM's timezone is +00:00); bound values are spelled the same way. */
const sqlUtc = (at: Date) => at.toISOString().slice(0, 23).replace('T', ' ');

/**
 * Count and amount per China day and status, in the database. With a seller the rows are read
 * from the (seller_id, created_at, ...) index alone; without one (auditors) from (created_at, ...):
 * both indexes hold the grouped columns (migration 20261203).
 * The range is bounded by the caller, so at most 367 days x 7 statuses come back.
 */
export async function summaryRows(em: EntityManager, sellerId: string | null, from: Date, to: Date): Promise<PayoutSummaryRow[]> {
  const rows: Record<string, unknown>[] = await em.getConnection().execute(
    `select date_format(china_day, '%Y-%m-%d') as day, status, count(*) as n, coalesce(sum(amount_fen), 0) as amount
     from payouts
     where ${sellerId ? 'seller_id = ? and ' : ''}created_at >= ? and created_at < ?
     group by china_day, status
     order by china_day, status`,
    [...(sellerId ? [sellerId] : []), sqlUtc(from), sqlUtc(to)],
  );
  return rows.map((r) => ({ chinaDay: String(r.day), status: String(r.status), count: toSafeInteger(r.n), amountFen: toSafeInteger(r.amount) }));
}

/** SUM and COUNT come back as DECIMAL strings; they must still be exact integers. */
function toSafeInteger(value: unknown): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`aggregate ${String(value)} is not a safe integer`);
  return number;
}

/**
 * A payout and its timeline, oldest event first, in one query: the read that clients poll while a
 * payout moves, so it costs one round trip rather than two. Rows are hydrated by the ORM (em.map),
 * as a find would.
 */
export async function payoutWithTimeline(em: EntityManager, payoutId: string): Promise<{ payout: Payout; timeline: PayoutEvent[] } | null> {
  const rows: Record<string, unknown>[] = await em.execute(
    `select p.*, e.id as event_id, e.type as event_type, e.actor as event_actor, e.at as event_at
     from payouts p left join payout_events e on e.payout_id = p.id
     where p.id = ?
     order by e.at, e.id`,
    [payoutId],
  );
  if (rows.length === 0) return null;
  const columns = { ...rows[0] };
  for (const eventColumn of ['event_id', 'event_type', 'event_actor', 'event_at']) delete columns[eventColumn];
  const timeline = rows
    .filter((row) => row.event_id !== null)
    .map((row) => em.map(PayoutEvent, { id: row.event_id, payout_id: payoutId, type: row.event_type, actor: row.event_actor, at: row.event_at } as EntityData<PayoutEvent>));
  return { payout: em.map(Payout, columns), timeline };
}

export async function notificationsOf(em: EntityManager, recipientId: string, cursorText: string | undefined, limit: number) {
  const bounded = Math.min(limit, PAGE_SIZE_MAX);
  const before = cursorText ? Number(Buffer.from(cursorText, 'base64url').toString('utf8')) : null;
  if (before !== null && !Number.isSafeInteger(before)) throw new DomainError('VALIDATION_ERROR', 'the cursor is not valid', { field: 'query.cursor' });
  const rows = await em.find(
    Notification,
    { recipientId, ...(before !== null ? { id: { $lt: before } } : {}) },
    { orderBy: { id: 'desc' }, limit: bounded + 1 },
  );
  const items = rows.slice(0, bounded);
  const next = rows.length > bounded ? Buffer.from(String(items[items.length - 1].id)).toString('base64url') : null;
  return { items, nextCursor: next };
}
