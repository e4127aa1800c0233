import { Migration } from '@mikro-orm/migrations';

/** Every table of the earlier migrations. */
const TABLES = [
  'seller_accounts', 'sub_accounts', 'orders', 'payouts', 'payout_events', 'ledger_entries', 'daily_usage', 'notifications',
  'idempotency_keys', 'settings', 'sandbox_agreements', 'sandbox_transactions', 'reconciliation_reports',
] as const;

/**
 * Three things the security review found (issue 12):
 * - Ids compare exactly. The tables were created with utf8mb4's default collation,
 *   utf8mb4_general_ci, under which `Victim-1` and `victim-1` are one seller account, one order,
 *   one idempotency scope. utf8mb4_bin compares bytes, as the application does.
 * - Idempotency scopes hold the whole principal (role, seller, account: up to 141 characters), so
 *   that sub-accounts of two sellers with the same id do not share one.
 * - Notifications are read by recipient role and id together.
 */
export class Migration20261210000000_exact_ids_and_principals extends Migration {
  override async up(): Promise<void> {
    for (const table of TABLES) this.addSql(`alter table ${table} convert to character set utf8mb4 collate utf8mb4_bin`);
    this.addSql('alter table idempotency_keys modify principal varchar(160) not null');
    this.addSql('alter table notifications drop key notifications_recipient, add key notifications_recipient (recipient_role, recipient_id, id)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table notifications drop key notifications_recipient, add key notifications_recipient (recipient_id, id)');
    this.addSql('alter table idempotency_keys modify principal varchar(64) not null');
    for (const table of TABLES) this.addSql(`alter table ${table} convert to character set utf8mb4 collate utf8mb4_general_ci`);
  }
}
