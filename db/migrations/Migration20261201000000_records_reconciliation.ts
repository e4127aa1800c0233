import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 5 (records, auditing, reconciliation): the reconciliation reports, and the indexes the
 * new reads need: auditors' reads across every seller go by creation time, and the daily
 * reconciliation reads the provider's books seller by seller.
 */
export class Migration20261201000000_records_reconciliation extends Migration {
  override async up(): Promise<void> {
    // One row per reconciliation run, keyed by the run's id so that a retried activity stores it once.
    this.addSql(`create table reconciliation_reports (
      id varchar(64) not null primary key,
      workflow_id varchar(255) not null,
      created_at datetime(3) not null,
      settled_before datetime(3) not null,
      seller_ids json null,
      sellers_checked int not null,
      findings_count int not null,
      complete tinyint(1) not null,
      findings json not null,
      key reconciliation_reports_created (created_at, id)
    ) engine=InnoDB default charset=utf8mb4`);
    this.addSql('alter table payouts add key payouts_created (created_at, id)');
    this.addSql('alter table sandbox_transactions add key sandbox_transactions_seller (seller_id, kind, created_at)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table sandbox_transactions drop key sandbox_transactions_seller');
    this.addSql('alter table payouts drop key payouts_created');
    this.addSql('drop table if exists reconciliation_reports');
  }
}
