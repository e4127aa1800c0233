import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 18: a payout's create answers a replay of its Idempotency-Key (SPEC §8) from the payout's
 * own row: its payout id is made from the key (api/idempotency.ts `idFromKey`), and `request_hash`
 * is the hash of the body the key first came with. The reservation stored the create's answer as
 * an `idempotency_keys` row beside the payout, an INSERT in every create; the row is no longer
 * written for a payout that was made, and the API reads the key's row and the payout in one
 * statement (db/payouts/payouts.ts `createdAnswerOf`). A refusal is still a row of its own.
 *
 * Nullable: a payout made without a key has none, and so do those made before this migration,
 * whose answers are in `idempotency_keys` as before. Added last, so that MariaDB adds it in place.
 *
 * `down` drops the column: creates made since then lose their stored answer, and a retry of one
 * with its key is then answered by the payout's workflow while it runs (its `reserve` update, which
 * checks the body's hash) and by the payout as it stands once the workflow closed.
 */
export class Migration20261217000000_payout_request_hash extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table payouts add column request_hash char(64) null');
  }

  override async down(): Promise<void> {
    this.addSql('alter table payouts drop column request_hash');
  }
}
