import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §5 "The edges": a card whose delivery retries ended (at least 3 days) stays stored and is
 * marked for an operator; `/metrics` counts the marked ones through their own index.
 */
export class Migration20261212000000_cards_undeliverable extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table notifications add column undeliverable_at datetime(3) null, add key notifications_undeliverable (undeliverable_at)');
  }

  override async down(): Promise<void> {
    this.addSql('alter table notifications drop key notifications_undeliverable, drop column undeliverable_at');
  }
}
