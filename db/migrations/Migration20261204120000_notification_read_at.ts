import { Migration } from '@mikro-orm/migrations';

/**
 * Buyers and sellers mark their cards read (POST …/notifications/{id}/read) and filter on it
 * (`unread`). A column, not a table of read marks: a card has one recipient, and a seller's
 * sub-accounts share the seller's cards, so one time per card says it all.
 */
export class Migration20261204120000_notification_read_at extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table notifications add column read_at datetime(3) null');
  }

  override async down(): Promise<void> {
    this.addSql('alter table notifications drop column read_at');
  }
}
