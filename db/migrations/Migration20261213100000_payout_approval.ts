import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §5 "Beyond every peer", maker-checker: the seller's approval threshold for sub-accounts'
 * payouts; a payout that waits for approval has an approval deadline and no buyer deadline yet
 * (its confirmation window starts at the approval), so `expires_at` becomes nullable.
 */
export class Migration20261213100000_payout_approval extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table seller_accounts add column approval_threshold_fen bigint null');
    this.addSql('alter table payouts modify expires_at datetime(3) null, add column approval_expires_at datetime(3) null, add column approved_at datetime(3) null');
  }

  override async down(): Promise<void> {
    // A payout still waiting for approval has no buyer deadline: give it its approval deadline.
    this.addSql('update payouts set expires_at = approval_expires_at where expires_at is null');
    this.addSql('alter table payouts drop column approved_at, drop column approval_expires_at, modify expires_at datetime(3) not null');
    this.addSql('alter table seller_accounts drop column approval_threshold_fen');
  }
}
