/**
 * A million payout rows, written straight into the benchmark's database with INSERT ... SELECT
 * over a cross join of a 1,000-row numbers table (seconds, where the API would take hours). The
 * rows look like a real marketplace's: one heavy seller at the daily cap (1,000 a day for 100
 * days), the rest spread over many sellers at about a hundred a day; all statuses, reasons,
 * a sub-account initiating one payout in seven. The summary's day tallies are counted from them
 * afterwards, as the migration that made the tallies counted the payouts already there.
 */
import type mysql from 'mysql2/promise';
import { SYSTEM_CAPS } from '../domain/rules';

/** Sellers besides the heavy one; the light sellers share the rows that the heavy one does not hold. */
const LIGHT_SELLERS = 99;
/** The heavy seller's share of the rows: 1,000 a day (the cap) for a hundred days at a million rows. */
const HEAVY_SHARE = 0.1;
const BUYERS = 5_000;
/** Rows per INSERT ... SELECT: large enough to be quick, small enough to keep each transaction short. */
const ROWS_PER_STATEMENT = 50_000;
const DIGITS = 1_000;
/** Rows are numbered by a cross join of the digits table with itself. */
export const LIST_ROWS_MAX = DIGITS * DIGITS;
/** Time between two payouts, in µs: the heavy seller's at its daily cap (86.4 s), the light rows' at ten thousand a day overall. */
const DAY_US = 86_400_000_000;
const HEAVY_STEP_US = DAY_US / SYSTEM_CAPS.dailyCount;
const LIGHT_STEP_US = DAY_US / 10_000;

export interface ListData {
  tag: string;
  rows: number;
  heavySellerId: string;
  lightSellerId: string;
  /** A sub-account of the heavy seller that initiated some of its payouts. */
  heavyOperatorId: string;
  /** An order of the heavy seller, for the orderId filter. */
  heavyOrderId: string;
  /** The instant the newest row was created; older rows go back from it. */
  newestAt: Date;
}

// Statuses cycle by n % 10: half PAID, one in ten of each other state.
const STATUS_SQL = `elt(1 + n % 10, 'PAID', 'PAID', 'PAID', 'PAID', 'PAID', 'AWAITING_CONFIRMATION', 'EXPIRED', 'DECLINED', 'CANCELLED', 'FAILED')`;

function insertSql(tag: string): string {
  const seller = `if(n < ?, '${tag}-s0', concat('${tag}-s', 1 + n % ${LIGHT_SELLERS}))`;
  const createdAt = `timestamp(?) - interval if(n < ?, n * ${HEAVY_STEP_US}, (n - ?) * ${LIGHT_STEP_US}) microsecond`;
  return `
    insert into payouts (id, seller_id, buyer_id, order_id, order_claim, amount_fen, reason, note, status, initiated_by,
                         china_day, created_at, expires_at, confirmed_at, paid_at, closed_at)
    select concat(lpad(hex(n), 8, '0'), '-0000-4000-8000-', lpad(hex(n), 12, '0')),
           seller, concat('${tag}-b', n % ${BUYERS}), concat('${tag}-o', n),
           if(status = 'CANCELLED', null, concat('${tag}-o', n)),
           100 + n % 4400, elt(1 + n % 4, 'PRICE_DIFFERENCE', 'SHIPPING_FEE', 'COMPENSATION', 'OTHER'),
           if(n % 3 = 0, null, 'bench'), status, if(n % 7 = 0, concat(seller, '-op1'), seller),
           date(created_at + interval 8 hour), created_at, created_at + interval 3 day,
           if(status in ('PAID', 'FAILED'), created_at + interval 1 hour, null),
           if(status = 'PAID', created_at + interval 1 hour, null),
           if(status = 'AWAITING_CONFIRMATION', null, created_at + interval 1 hour)
    from (
      select n, ${seller} as seller, ${STATUS_SQL} as status, ${createdAt} as created_at
      from (select a.d * ${DIGITS} + b.d as n from bench_digits a cross join bench_digits b where a.d between ? and ?) numbers
      where n < ?
    ) generated`;
}

/** Inserts `rows` payouts; answers what the list queries need to know about them. */
export async function insertPayoutRows(db: mysql.Connection, tag: string, rows: number, log: (line: string) => void): Promise<ListData> {
  if (rows > LIST_ROWS_MAX) throw new Error(`at most ${LIST_ROWS_MAX} rows`);
  const newestAt = new Date(Math.floor(Date.now() / 1_000) * 1_000);
  const heavyRows = Math.floor(rows * HEAVY_SHARE);
  await db.query('create table if not exists bench_digits (d int not null primary key)');
  await db.query(`insert ignore into bench_digits (d) values ${Array.from({ length: DIGITS }, (_, d) => `(${d})`).join(',')}`);
  const sql = insertSql(tag);
  const blocksPerStatement = ROWS_PER_STATEMENT / DIGITS;
  for (let block = 0; block * DIGITS < rows; block += blocksPerStatement) {
    await db.query(sql, [heavyRows, newestAt, heavyRows, heavyRows, block, block + blocksPerStatement - 1, rows]);
    log(`${Math.min(rows, (block + blocksPerStatement) * DIGITS)} / ${rows} rows`);
  }
  // The rows were written behind the product's back, so the tallies its writes keep are counted here.
  await db.query(`insert into payout_day_tallies (china_day, seller_id, status, payout_count, amount_fen)
    select china_day, seller_id, status, count(*), sum(amount_fen) from payouts where seller_id like '${tag}-%' group by china_day, seller_id, status
    on duplicate key update payout_count = payout_count + values(payout_count), amount_fen = amount_fen + values(amount_fen)`);
  log('day tallies counted');
  // Fresh statistics, as a database that grew over months would have.
  await db.query('analyze table payouts, payout_day_tallies');
  return {
    tag,
    rows,
    heavySellerId: `${tag}-s0`,
    lightSellerId: `${tag}-s1`,
    heavyOperatorId: `${tag}-s0-op1`,
    heavyOrderId: `${tag}-o${Math.floor(heavyRows / 2)}`,
    newestAt,
  };
}
