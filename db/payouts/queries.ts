/** Read side of payouts: records with filters and cursor pagination, summaries, timelines. */
import type { EntityManager, FilterQuery } from '@mikro-orm/mysql';
import { isId, type Id } from '../../domain/id';
import { PAYOUT_EVENT_TYPES, Payout, PayoutEvent, type PayoutEventType, type PayoutRow } from './entities';
import { filteredRows, timeRange, type Keyset } from '../pagination';
import { rowOf } from '../row-of';
import { chinaDay, chinaDayStart, shiftDay } from '../../domain/time';
import { dayTallyRows, toSafeInteger } from './day-tallies';
import { payoutCardId, type CardMoment } from '../../domain/card-ids';
import type { NotificationKind } from '../notifications/entities';

export { EXPORT_ROWS_MAX } from '../pagination';

/** Ids are `Id`s: checked strings, never a number that MySQL would compare as DOUBLE. */
export interface PayoutFilter {
  sellerId?: Id;
  buyerId?: Id;
  status?: string;
  reason?: string;
  orderId?: Id;
  initiatedBy?: Id;
  createdFrom?: Date;
  createdTo?: Date;
  /** Only what the buyer may see: a payout that needed approval once it is approved (SPEC §5). */
  buyerVisible?: boolean;
}

/** Payouts are listed newest first; the (seller_id, created_at, id) and (created_at, id) indexes hold the key. */
export const PAYOUT_KEYSET: Keyset<Payout> = { columns: [{ name: 'createdAt', kind: 'date' }, { name: 'id', kind: 'string' }], direction: 'desc' };

/** The filter as a MikroORM condition; the list and the export share it, so they always agree. */
function payoutWhere(filter: PayoutFilter): FilterQuery<Payout> {
  const where: FilterQuery<Payout> = {};
  if (filter.sellerId) where.sellerId = filter.sellerId;
  if (filter.buyerId) where.buyerId = filter.buyerId;
  if (filter.status) where.status = filter.status as Payout['status'];
  if (filter.reason) where.reason = filter.reason as Payout['reason'];
  if (filter.orderId) where.orderId = filter.orderId;
  if (filter.initiatedBy) where.initiatedBy = filter.initiatedBy;
  const createdAt = timeRange(filter.createdFrom, filter.createdTo);
  if (createdAt) where.createdAt = createdAt;
  if (filter.buyerVisible) where.$or = [{ approvalExpiresAt: null }, { approvedAt: { $ne: null } }];
  return where;
}

const PAYOUT_ROWS = filteredRows(Payout, payoutWhere, PAYOUT_KEYSET);
/** One page of the payouts that match, newest first. */
export const listPayouts = PAYOUT_ROWS.page;
/** Whether more payouts match than one export may hold. */
export const exceedsRows = PAYOUT_ROWS.exceedsRows;
/** Every payout that matches, newest first, one keyset page per query (the CSV export). */
export const payoutRows = PAYOUT_ROWS.rows;

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
/** The inverse: a DATETIME(3) the driver hands over as text (the connection's time zone is UTC, db/orm.ts). */
const fromSqlUtc = (at: unknown) => (at instanceof Date ? at : new Date(`${String(at).replace(' ', 'T')}Z`));

/**
 * Count and amount per China day and status of the payouts created in `[from, to)`, in the
 * database. The whole China days of the range are read from the day tallies (day-tallies.ts); a
 * bound that falls inside a day leaves part of that day, whose payouts are counted one by one.
 * The range is bounded by the caller, so at most 367 days x 9 statuses come back.
 */
export async function summaryRows(em: EntityManager, sellerId: Id | null, from: Date, to: Date): Promise<PayoutSummaryRow[]> {
  const days = wholeDays(from, to);
  if (!days) return payoutSummaryRows(em, sellerId, from, to);
  const rows = await dayTallyRows(em, sellerId, days.first, days.end);
  const head = from < days.firstStart ? await payoutSummaryRows(em, sellerId, from, days.firstStart) : [];
  const tail = days.endStart < to ? await payoutSummaryRows(em, sellerId, days.endStart, to) : [];
  return [...head, ...rows, ...tail];
}

/**
 * The China days that lie wholly in `[from, to)`, as `[first, end)` and the instants they start
 * at; null when there is none. A day is whole from the instant it starts (chinaDayStart), so a
 * range that starts or ends at a China midnight has no partial day at that end.
 */
function wholeDays(from: Date, to: Date): { first: string; end: string; firstStart: Date; endStart: Date } | null {
  const fromDay = chinaDay(from);
  const first = chinaDayStart(fromDay).getTime() === from.getTime() ? fromDay : shiftDay(fromDay, 1);
  const end = chinaDay(to);
  // Days are YYYY-MM-DD from the year 1000 on (api/query-dates.ts): they sort as strings.
  if (first >= end) return null;
  return { first, end, firstStart: chinaDayStart(first), endStart: chinaDayStart(end) };
}

/**
 * The payouts' own rows, for the part of a day at either end of a range. With a seller they are
 * read from the (seller_id, created_at, ...) index alone; without one (auditors) from
 * (created_at, ...): both indexes hold the grouped columns (migration 20261203).
 */
async function payoutSummaryRows(em: EntityManager, sellerId: Id | null, from: Date, to: Date): Promise<PayoutSummaryRow[]> {
  // Raw SQL binds what it is given: the id is checked here as the ORM's IdType checks it elsewhere.
  if (sellerId !== null && !isId(sellerId)) throw new TypeError('summaryRows needs a seller id string');
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

/** One moment of a payout's timeline, as the API shows it. */
export type TimelineEntry = Pick<PayoutEvent, 'type' | 'at' | 'actor'>;

/**
 * The moments the payout's own columns hold, which are not written to `payout_events` too (issue
 * 18: three INSERTs fewer a paid payout): its creation by its initiator, its confirmation by its
 * buyer (the one principal who may confirm, SPEC §5) and its payment. Payouts from before still
 * have rows of these types; a type stored is not added again.
 */
const COLUMN_MOMENTS: { type: PayoutEventType; at: (payout: PayoutRow) => Date | null; actor: (payout: PayoutRow) => string | null }[] = [
  { type: 'INITIATED', at: (payout) => payout.createdAt, actor: (payout) => payout.initiatedBy },
  { type: 'CONFIRMED', at: (payout) => payout.confirmedAt, actor: (payout) => payout.buyerId },
  { type: 'PAID', at: (payout) => payout.paidAt, actor: () => null },
];

/**
 * The moments the buyer's cards hold (issue 18: a timeline row each was a statement and a commit
 * more): NOTIFIED is when the card telling the buyer of the payout was stored (SPEC §5.2): with the
 * hold, at the reservation's time (issue 18), or, after an approval, when the workflow announced it;
 * REMINDED the reminder's. Each is the card's `createdAt` (activities/payout-activities.ts
 * `storeMoment`, db/payouts/payouts.ts `reservePayout`). Payouts from before have timeline rows too.
 */
const CARD_MOMENTS = [
  { type: 'NOTIFIED', moment: 'sent', kind: 'PAYOUT_SENT' },
  { type: 'REMINDED', moment: 'reminder', kind: 'PAYOUT_REMINDER' },
] as const satisfies readonly { type: PayoutEventType; moment: CardMoment; kind: NotificationKind }[];

/**
 * The payout's timeline, oldest first: the events stored, and the moments its cards (`carded`) and
 * its columns hold, each of a type no event stored has.
 */
export function timelineOf(payout: PayoutRow, stored: readonly TimelineEntry[], carded: readonly TimelineEntry[] = []): TimelineEntry[] {
  const types = new Set(stored.map((event) => event.type));
  const fromColumns = COLUMN_MOMENTS.flatMap(({ type, at, actor }) => {
    const when = at(payout);
    return when ? [{ type, at: when, actor: actor(payout) }] : [];
  });
  const derived = [...carded, ...fromColumns].filter((entry) => !types.has(entry.type));
  return [...stored, ...derived].sort((a, b) => a.at.getTime() - b.at.getTime() || PAYOUT_EVENT_TYPES.indexOf(a.type) - PAYOUT_EVENT_TYPES.indexOf(b.type));
}

/**
 * A payout and its timeline (timelineOf), in one query (its events and its buyer's cards of
 * CARD_MOMENTS joined to the payout): the read that clients poll while a payout moves. Hand-written
 * (issue 18): through `findOne` with the events populated it was two SELECTs, and MikroORM's find
 * pipeline (the query's building, the populate, hydrating each event) was most of the API's CPU in
 * the benchmark's profile; here the payout's row is mapped by `rowOf` (the columns' own
 * conversions, and no managed entity) and each moment is four columns. The cards are found by their dedupe keys, unique.
 */
export async function payoutWithTimeline(em: EntityManager, payoutId: string): Promise<{ payout: PayoutRow; timeline: TimelineEntry[] } | null> {
  if (typeof payoutId !== 'string') throw new TypeError('payoutWithTimeline needs a payout id string');
  const typeOfKind = CARD_MOMENTS.map(({ type, kind }) => `when '${kind}' then '${type}'`).join(' ');
  const rows: Record<string, unknown>[] = await em.getConnection().execute(
    `select p.*, m.type as timeline_type, m.at as timeline_at, m.actor as timeline_actor, m.source as timeline_source
     from payouts p left join (
       select type, at, actor, 'event' as source from payout_events where payout_id = ?
       union all
       select case kind ${typeOfKind} end, created_at, null, 'card' from notifications
       where dedupe_key in (${CARD_MOMENTS.map(() => '?').join(', ')})
     ) m on true
     where p.id = ?`,
    [payoutId, ...CARD_MOMENTS.map(({ moment }) => payoutCardId(payoutId, moment)), payoutId],
  );
  if (rows.length === 0) return null;
  const columns = Object.fromEntries(Object.entries(rows[0]).filter(([name]) => !name.startsWith('timeline_')));
  const moments = (source: string) => rows.filter((row) => row.timeline_source === source).map((row) => ({
    type: row.timeline_type as PayoutEventType,
    at: fromSqlUtc(row.timeline_at),
    actor: (row.timeline_actor ?? null) as string | null,
  }));
  const payout: PayoutRow = rowOf(em, Payout, columns);
  return { payout, timeline: timelineOf(payout, moments('event'), moments('card')) };
}
