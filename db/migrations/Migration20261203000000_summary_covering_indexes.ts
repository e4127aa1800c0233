import { Migration } from '@mikro-orm/migrations';

/**
 * The summary (GET /v1/payouts/summary) groups a month of payouts by China day and status: 30,000
 * rows for a seller at the daily cap, all sellers' rows for an auditor. Through (seller_id,
 * created_at, id) or (created_at, id) each row cost a lookup in the table (seller summary p99 81 ms
 * at 1 M rows; an auditor's month of 330,000 rows 680 ms); with the grouped columns in the indexes
 * the query reads the index alone (28 ms; 200 ms). Lists use the same indexes, through their prefix.
 */
export class Migration20261203000000_summary_covering_indexes extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table payouts drop key payouts_seller_created, add key payouts_seller_created (seller_id, created_at, id, china_day, status, amount_fen)');
    this.addSql('alter table payouts drop key payouts_created, add key payouts_created (created_at, id, china_day, status, amount_fen)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table payouts drop key payouts_created, add key payouts_created (created_at, id)');
    this.addSql('alter table payouts drop key payouts_seller_created, add key payouts_seller_created (seller_id, created_at, id)');
  }
}
