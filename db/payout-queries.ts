/** Read side of payouts: records with filters and cursor pagination, timelines, notifications. */
import type { EntityManager, FilterQuery } from '@mikro-orm/mysql';
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

export async function listPayouts(em: EntityManager, filter: PayoutFilter, cursorText: string | undefined, limit: number) {
  const bounded = Math.min(limit, PAGE_SIZE_MAX);
  const cursor = decodeCursor(cursorText);
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
  const page: FilterQuery<Payout> = cursor
    ? { $and: [where, { $or: [{ createdAt: { $lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { $lt: cursor.id } }] }] }
    : where;
  const rows = await em.find(Payout, page, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: bounded + 1 });
  const items = rows.slice(0, bounded);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > bounded && last ? encodeCursor(last) : null };
}

export async function timelineOf(em: EntityManager, payoutId: string): Promise<PayoutEvent[]> {
  return em.find(PayoutEvent, { payoutId }, { orderBy: { at: 'asc', id: 'asc' } });
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
