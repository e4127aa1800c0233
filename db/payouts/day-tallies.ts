/**
 * The summary's roll-up (migration 20261215): count and amount of payouts per China day, seller and
 * status, kept in the transaction that changes a payout's status, so that it always agrees with the
 * payouts table. An auditor's month then reads a few rows per seller and day instead of every payout
 * of the month (330,000 at a million rows: 200 ms p99, where the target is 50).
 *
 * The day is the payout's `china_day`, the China day it was initiated in, which is the day its
 * `created_at` falls in (both are set from the same instant by reservePayout): the day the summary
 * has always counted a payout towards, whatever its later outcome.
 *
 * Each row belongs to one seller (STYLE 7): sellers never update each other's rows, and there is
 * no row that every payout updates.
 */
import type { EntityManager } from '@mikro-orm/mysql';
import type { PayoutStatus } from '../../domain/payout';
import { isId, type Id } from '../../domain/id';
import type { Payout } from './entities';
import { runStatement, type Statement } from '../beginless';

/** What a status change needs to know of its payout: the row it counts in, and by how much. */
export type Counted = Pick<Payout, 'sellerId' | 'chinaDay' | 'amountFen'>;

/**
 * Moves `payout` from its `before` status's tally to its `after` status's (`before` null: a new
 * payout), in one statement of the caller's transaction. The two rows are written in status order,
 * whichever way the payout moves, so that two of a seller's transactions on the same day take the
 * rows' locks in the same order and never wait on each other in a cycle.
 */
export async function countStatusChange(tx: EntityManager, payout: Counted, before: PayoutStatus | null, after: PayoutStatus): Promise<void> {
  await runStatement(tx, statusChangeStatement(payout, before, after));
}

/** countStatusChange's statement, for a packet of statements (db/beginless.ts `sendTogether`). */
export function statusChangeStatement(payout: Counted, before: PayoutStatus | null, after: PayoutStatus): Statement {
  const changes: [PayoutStatus, number][] = before === null ? [[after, 1]] : [[before, -1], [after, 1]];
  changes.sort(([a], [b]) => a.localeCompare(b));
  const rows = changes.map(([status, sign]) => [payout.chinaDay, payout.sellerId, status, sign, sign * payout.amountFen]);
  return {
    sql: `insert into payout_day_tallies (china_day, seller_id, status, payout_count, amount_fen)
     values ${rows.map(() => '(?, ?, ?, ?, ?)').join(', ')}
     on duplicate key update payout_count = payout_count + values(payout_count), amount_fen = amount_fen + values(amount_fen)`,
    params: rows.flat(),
  };
}

/** A seller's payouts of one China day, whatever became of them: SPEC §4's daily count and amount. */
export interface DayUsage {
  count: number;
  amountFen: number;
}

/**
 * The day's usage is the seller's tallies of that day summed over every status (issue 18: it was a
 * table of its own, a read and a write in every reservation). A payout counts towards the day it was
 * initiated in whatever its end (SPEC §4), and the tallies hold exactly that: the reservation adds a
 * payout to its day's tally, and a status change moves it between that day's rows in one statement,
 * so the sum moves only by a reservation, which holds the seller's lock.
 *
 * As two select-list subqueries, `usage_count` and `usage_fen`, each of the seller `seller` (a
 * column of the outer query, or `?`) and the day `?`: the reservation puts them in its locking read
 * (`lockSellerForReservation`, payouts.ts), `dayUsage` below in a plain one.
 */
export function dayUsageColumns(seller: string): string {
  const sum = (column: string) => `(select coalesce(sum(t.${column}), 0) from payout_day_tallies t where t.seller_id = ${seller} and t.china_day = ?)`;
  return `${sum('payout_count')} as usage_count, ${sum('amount_fen')} as usage_fen`;
}

/** The seller's usage of `day` (`YYYY-MM-DD`), read without a lock: the account view and eligibility. */
export async function dayUsage(em: EntityManager, sellerId: Id, day: string): Promise<DayUsage> {
  if (!isId(sellerId)) throw new TypeError('dayUsage needs a seller id string');
  const [row]: Record<string, unknown>[] = await em.execute(`select ${dayUsageColumns('?')}`, [sellerId, day, sellerId, day]);
  return dayUsageOf(row);
}

/** A row's `usage_count` and `usage_fen` (SUMs, which come back as DECIMAL strings). */
export function dayUsageOf(row: Record<string, unknown>): DayUsage {
  return { count: toSafeInteger(row.usage_count), amountFen: toSafeInteger(row.usage_fen) };
}

export interface DayTallyRow {
  /** `YYYY-MM-DD`. */
  chinaDay: string;
  status: string;
  count: number;
  amountFen: number;
}

/**
 * Count and amount per China day and status for the days `[firstDay, endDay)`, summed over every
 * seller, or one. A status a day's payouts have all left keeps its row at zero: those rows are not
 * answered, as no payout would have made them. With a seller the rows are found through its
 * (seller_id, china_day) key; without one (auditors) they are a range of the primary key.
 */
export async function dayTallyRows(em: EntityManager, sellerId: Id | null, firstDay: string, endDay: string): Promise<DayTallyRow[]> {
  // Raw SQL binds what it is given: the id is checked here as the ORM's IdType checks it elsewhere.
  if (sellerId !== null && !isId(sellerId)) throw new TypeError('dayTallyRows needs a seller id string');
  const rows: Record<string, unknown>[] = await em.execute(
    `select date_format(china_day, '%Y-%m-%d') as day, status, sum(payout_count) as n, sum(amount_fen) as amount
     from payout_day_tallies
     where ${sellerId ? 'seller_id = ? and ' : ''}china_day >= ? and china_day < ?
     group by china_day, status
     having n <> 0
     order by china_day, status`,
    [...(sellerId ? [sellerId] : []), firstDay, endDay],
  );
  return rows.map((r) => ({ chinaDay: String(r.day), status: String(r.status), count: toSafeInteger(r.n), amountFen: toSafeInteger(r.amount) }));
}

/** SUM and COUNT come back as DECIMAL strings; they must still be exact integers. */
export function toSafeInteger(value: unknown): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new Error(`aggregate ${String(value)} is not a safe integer`);
  return number;
}

/** One check returns at most this many disagreements. */
export const TALLY_DISAGREEMENTS_MAX = 1_000;

/**
 * The tallies of `sellerIds` that disagree with their payouts, counted again one by one: empty when
 * every (day, seller, status) tally holds exactly the count and amount of its payouts. One
 * statement, so that both sides are read from one snapshot while payouts keep moving.
 */
export async function tallyDisagreements(em: EntityManager, sellerIds: Id[]): Promise<string[]> {
  if (sellerIds.length === 0) return [];
  if (!sellerIds.every(isId)) throw new TypeError('tallyDisagreements needs seller id strings');
  const inSellers = `(${sellerIds.map(() => '?').join(', ')})`;
  const rows: Record<string, unknown>[] = await em.execute(
    `select date_format(china_day, '%Y-%m-%d') as day, seller_id, status,
            sum(tallied_count) as tallied_count, sum(tallied_fen) as tallied_fen, sum(payout_count) as payout_count, sum(payout_fen) as payout_fen
     from (
       select china_day, seller_id, status, payout_count as tallied_count, amount_fen as tallied_fen, 0 as payout_count, 0 as payout_fen
       from payout_day_tallies where seller_id in ${inSellers}
       union all
       select china_day, seller_id, status, 0, 0, 1, amount_fen from payouts where seller_id in ${inSellers}
     ) both_sides
     group by china_day, seller_id, status
     having sum(tallied_count) <> sum(payout_count) or sum(tallied_fen) <> sum(payout_fen)
     limit ${TALLY_DISAGREEMENTS_MAX}`,
    [...sellerIds, ...sellerIds],
  );
  return rows.map((r) => `${r.seller_id} ${r.day} ${r.status}: tallied ${r.tallied_count} payouts of ${r.tallied_fen} fen, the payouts are ${r.payout_count} of ${r.payout_fen} fen`);
}
