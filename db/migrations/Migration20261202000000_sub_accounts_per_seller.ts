import { Migration } from '@mikro-orm/migrations';

/**
 * Sub-account rows are keyed by (seller, sub-account): keyed by the sub-account id alone, the first
 * seller to set permissions on an id owned the row, so another seller could lock a sub-account out.
 */
export class Migration20261202000000_sub_accounts_per_seller extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table sub_accounts drop primary key, add primary key (seller_id, sub_account_id)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table sub_accounts drop primary key, add primary key (sub_account_id)');
  }
}
