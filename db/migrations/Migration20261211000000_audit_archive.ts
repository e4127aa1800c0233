import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §7, auditing that outlives Temporal: the archive of closed seller workflows (one
 * hash-chained record per workflow run, append-only), the head of each seller's chain (the row an
 * append locks, so that appends of one seller are serialised without touching the seller's account
 * row, which every payout locks), and the settings change log.
 *
 * The triggers make the database itself refuse to change or remove an archived record, so that no
 * code path of the service, present or future, can do it by mistake. A database root can still drop
 * them; the hash chain is what shows that happened (GET /v1/audit/chain).
 */
export const ARCHIVE_APPEND_ONLY_TRIGGERS = [
  `create trigger workflow_archive_no_update before update on workflow_archive for each row
     signal sqlstate '45000' set message_text = 'workflow_archive is append-only: records are never updated'`,
  `create trigger workflow_archive_no_delete before delete on workflow_archive for each row
     signal sqlstate '45000' set message_text = 'workflow_archive is append-only: records are never deleted'`,
];

export class Migration20261211000000_audit_archive extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table workflow_archive (
      id bigint unsigned not null auto_increment primary key,
      seller_id varchar(64) not null,
      seq int unsigned not null,
      workflow_id varchar(255) not null,
      run_id varchar(64) not null,
      workflow_type varchar(255) not null,
      status varchar(32) not null,
      started_at datetime(3) not null,
      closed_at datetime(3) not null,
      archived_at datetime(3) not null,
      history longtext not null,
      previous_hash char(64) not null,
      hash char(64) not null,
      unique key workflow_archive_run (workflow_id, run_id),
      unique key workflow_archive_seller_seq (seller_id, seq)
    ) default character set utf8mb4 collate utf8mb4_bin engine = InnoDB`);
    this.addSql(`create table audit_chain_heads (
      seller_id varchar(64) not null primary key,
      last_seq int unsigned not null,
      last_hash char(64) not null,
      updated_at datetime(3) not null
    ) default character set utf8mb4 collate utf8mb4_bin engine = InnoDB`);
    this.addSql(`create table settings_changes (
      id bigint unsigned not null auto_increment primary key,
      seller_id varchar(64) not null,
      setting varchar(32) not null,
      actor_id varchar(64) not null,
      actor_role varchar(16) not null,
      changed_at datetime(3) not null,
      \`before\` json null,
      \`after\` json null,
      key settings_changes_seller (seller_id, id)
    ) default character set utf8mb4 collate utf8mb4_bin engine = InnoDB`);
    for (const trigger of ARCHIVE_APPEND_ONLY_TRIGGERS) this.addSql(trigger);
  }

  override async down(): Promise<void> {
    this.addSql('drop trigger if exists workflow_archive_no_delete');
    this.addSql('drop trigger if exists workflow_archive_no_update');
    this.addSql('drop table if exists settings_changes');
    this.addSql('drop table if exists audit_chain_heads');
    this.addSql('drop table if exists workflow_archive');
  }
}
