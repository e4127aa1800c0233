import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §5 "Beyond every peer", automatic top-up: the seller's setting on the account row (read
 * under the row lock with every hold), the top-ups, and the crossings that asked for them. The
 * cards' kind grows to hold `AUTO_TOP_UP_DAILY_MAX_REACHED`.
 */
export class Migration20261214000000_auto_top_up extends Migration {
  override async up(): Promise<void> {
    this.addSql('alter table seller_accounts add column auto_top_up_threshold_fen bigint null, add column auto_top_up_amount_fen bigint null, add column auto_top_up_daily_max_fen bigint null');
    this.addSql('alter table notifications modify kind varchar(40) not null');
    this.addSql(`create table reserve_top_ups (
      id varchar(100) not null primary key,
      seller_id varchar(64) not null,
      status varchar(16) not null,
      amount_fen bigint null,
      china_day date null,
      outcome_code varchar(64) null,
      created_at datetime(3) not null,
      settled_at datetime(3) null,
      index reserve_top_ups_seller_status (seller_id, status),
      index reserve_top_ups_seller_day (seller_id, china_day)
    ) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`);
    this.addSql(`create table top_up_crossings (
      crossing_key varchar(120) not null primary key,
      top_up_id varchar(100) not null,
      seller_id varchar(64) not null,
      created_at datetime(3) not null,
      index top_up_crossings_top_up (top_up_id)
    ) engine=InnoDB default charset=utf8mb4 collate=utf8mb4_bin`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table top_up_crossings');
    this.addSql('drop table reserve_top_ups');
    this.addSql("delete from notifications where kind like 'AUTO_TOP_UP%'");
    this.addSql('alter table notifications modify kind varchar(24) not null');
    this.addSql('alter table seller_accounts drop column auto_top_up_daily_max_fen, drop column auto_top_up_amount_fen, drop column auto_top_up_threshold_fen');
  }
}
