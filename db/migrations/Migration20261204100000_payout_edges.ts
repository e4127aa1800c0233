import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §5 "The edges": why a payout closed (`close_reason`), the provider's id of its transfer
 * (`provider_transaction_id`), and the order change that must still cancel it
 * (`pending_close_reason`). The last is written in the order update's transaction, so that the
 * cancellation survives a process that dies before it tells the workflow; the partial scan of
 * the sweep that re-tells workflows reads it through its own index. The sandbox provider's books
 * keep each transfer's id and memo, as the buyer's bill shows them.
 */
export class Migration20261204100000_payout_edges extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table payouts
      add column close_reason varchar(32) null,
      add column pending_close_reason varchar(32) null,
      add column provider_transaction_id varchar(64) null,
      add key payouts_pending_close (pending_close_reason, status)`);
    this.addSql(`alter table sandbox_transactions
      add column transaction_id varchar(64) null,
      add column memo varchar(64) null`);
  }

  override async down(): Promise<void> {
    this.addSql('alter table sandbox_transactions drop column memo, drop column transaction_id');
    this.addSql(`alter table payouts
      drop key payouts_pending_close,
      drop column provider_transaction_id,
      drop column pending_close_reason,
      drop column close_reason`);
  }
}
