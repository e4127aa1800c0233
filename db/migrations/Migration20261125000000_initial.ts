import { Migration } from '@mikro-orm/migrations';

/**
 * The initial schema. Money columns are BIGINT fen with CHECK constraints as a last line of
 * defence behind the application's own checks; every movement of money carries a unique key.
 */
export class Migration20261125000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table seller_accounts (
      seller_id varchar(64) not null primary key,
      enabled tinyint(1) not null default 0,
      agreement_id varchar(64) null,
      agreement_signed_at datetime(3) null,
      daily_count_limit int not null,
      daily_amount_limit_fen bigint not null,
      per_payout_limit_fen bigint not null,
      low_balance_threshold_fen bigint null,
      available_fen bigint not null default 0,
      held_fen bigint not null default 0,
      created_at datetime(3) not null,
      updated_at datetime(3) not null,
      constraint seller_accounts_available_nonnegative check (available_fen >= 0),
      constraint seller_accounts_held_nonnegative check (held_fen >= 0)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table sub_accounts (
      sub_account_id varchar(64) not null primary key,
      seller_id varchar(64) not null,
      can_payout tinyint(1) not null default 0,
      updated_at datetime(3) not null,
      key sub_accounts_seller (seller_id)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table orders (
      order_id varchar(64) not null primary key,
      seller_id varchar(64) not null,
      buyer_id varchar(64) not null,
      status varchar(16) not null,
      payment_type varchar(24) not null,
      total_amount_fen bigint not null,
      cash_paid_fen bigint not null,
      non_cash_paid_fen bigint not null,
      updated_at datetime(3) not null,
      key orders_seller (seller_id)
    ) engine=InnoDB default charset=utf8mb4`);

    // order_claim holds the order id while the payout uses up the order's one payout, and NULL once
    // it is CANCELLED: the unique index makes "one payout per order" a database fact.
    this.addSql(`create table payouts (
      id char(36) not null primary key,
      seller_id varchar(64) not null,
      buyer_id varchar(64) not null,
      order_id varchar(64) not null,
      order_claim varchar(64) null,
      amount_fen bigint not null,
      reason varchar(24) not null,
      note varchar(200) null,
      status varchar(24) not null,
      initiated_by varchar(64) not null,
      china_day date not null,
      created_at datetime(3) not null,
      expires_at datetime(3) not null,
      confirmed_at datetime(3) null,
      paid_at datetime(3) null,
      closed_at datetime(3) null,
      constraint payouts_amount_positive check (amount_fen > 0),
      unique key payouts_order_claim (order_claim),
      key payouts_seller_created (seller_id, created_at, id),
      key payouts_seller_status_created (seller_id, status, created_at, id),
      key payouts_buyer_created (buyer_id, created_at, id),
      key payouts_order (order_id)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table payout_events (
      id bigint not null auto_increment primary key,
      payout_id char(36) not null,
      type varchar(24) not null,
      actor varchar(64) null,
      at datetime(3) not null,
      unique key payout_events_once (payout_id, type)
    ) engine=InnoDB default charset=utf8mb4`);

    // Seller balances live on seller_accounts (one row per seller, locked per write); platform
    // accounts have no running-balance row: their balance is derived from these entries.
    this.addSql(`create table ledger_entries (
      id bigint not null auto_increment primary key,
      movement_key varchar(100) not null,
      seller_id varchar(64) not null,
      kind varchar(16) not null,
      debit_account varchar(100) not null,
      credit_account varchar(100) not null,
      amount_fen bigint not null,
      available_after_fen bigint not null,
      held_after_fen bigint not null,
      payout_id char(36) null,
      memo varchar(64) not null,
      created_at datetime(3) not null,
      constraint ledger_entries_amount_positive check (amount_fen > 0),
      unique key ledger_entries_movement (movement_key),
      key ledger_entries_seller (seller_id, id)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table daily_usage (
      seller_id varchar(64) not null,
      china_day date not null,
      count int not null,
      amount_fen bigint not null,
      primary key (seller_id, china_day)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table notifications (
      id bigint not null auto_increment primary key,
      dedupe_key varchar(150) not null,
      recipient_id varchar(64) not null,
      recipient_role varchar(16) not null,
      kind varchar(24) not null,
      payout_id char(36) null,
      payload json not null,
      created_at datetime(3) not null,
      delivered_at datetime(3) null,
      unique key notifications_once (dedupe_key),
      key notifications_recipient (recipient_id, id)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table idempotency_keys (
      principal varchar(64) not null,
      operation varchar(32) not null,
      idem_key varchar(128) not null,
      request_hash char(64) not null,
      status_code int null,
      response_body json null,
      created_at datetime(3) not null,
      primary key (principal, operation, idem_key)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table settings (
      name varchar(64) not null primary key,
      value json not null,
      updated_at datetime(3) not null
    ) engine=InnoDB default charset=utf8mb4`);

    // The sandbox payment provider's own books: what it believes it moved, keyed by the caller's
    // idempotency key, so that reconciliation compares two independent records.
    this.addSql(`create table sandbox_agreements (
      agreement_id varchar(64) not null primary key,
      seller_id varchar(64) not null,
      signed_at datetime(3) not null,
      unique key sandbox_agreements_seller (seller_id)
    ) engine=InnoDB default charset=utf8mb4`);

    this.addSql(`create table sandbox_transactions (
      id bigint not null auto_increment primary key,
      idempotency_key varchar(100) not null,
      kind varchar(16) not null,
      seller_id varchar(64) not null,
      counterparty_id varchar(64) null,
      amount_fen bigint not null,
      status varchar(16) not null,
      refusal_code varchar(32) null,
      created_at datetime(3) not null,
      unique key sandbox_transactions_key (idempotency_key)
    ) engine=InnoDB default charset=utf8mb4`);
  }

  override async down(): Promise<void> {
    for (const table of [
      'sandbox_transactions', 'sandbox_agreements', 'settings', 'idempotency_keys', 'notifications',
      'daily_usage', 'ledger_entries', 'payout_events', 'payouts', 'orders', 'sub_accounts', 'seller_accounts',
    ]) {
      this.addSql(`drop table if exists ${table}`);
    }
  }
}
