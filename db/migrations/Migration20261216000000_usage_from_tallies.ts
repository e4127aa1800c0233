import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 18: a seller's daily count and amount (SPEC §4) are the day's tallies summed over every
 * status (db/payouts/day-tallies.ts `dayUsage`), which every reservation writes anyway, so
 * `daily_usage` (a read and a write in each reservation) goes. The tallies have counted every payout
 * since their migration, whose backfill counted the payouts before it: both count the same payouts.
 *
 * Dropped rather than left unwritten: a process of the version before this one, still running while
 * this one starts, fails its reservation on the missing table (its activity is retried, by this
 * version's worker once it polls), instead of counting a usage that no longer moves.
 *
 * `down` rebuilds the table from the payouts, as its rows would stand.
 */
export class Migration20261216000000_usage_from_tallies extends Migration {
  override async up(): Promise<void> {
    this.addSql('drop table daily_usage');
  }

  override async down(): Promise<void> {
    this.addSql(`create table daily_usage (
      seller_id varchar(64) not null,
      china_day date not null,
      count int not null,
      amount_fen bigint not null,
      primary key (seller_id, china_day)
    ) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`);
    this.addSql(`insert into daily_usage (seller_id, china_day, count, amount_fen)
      select seller_id, china_day, count(*), sum(amount_fen) from payouts group by seller_id, china_day`);
  }
}
