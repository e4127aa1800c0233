/**
 * The ORM for one process: the database is created when missing and the migrations are applied
 * (never schema sync). Each request or activity forks its own EntityManager from `orm.em`.
 */
import { MikroORM, type Options } from '@mikro-orm/mysql';
import { Migrator } from '@mikro-orm/migrations';
import mysql from 'mysql2/promise';
import { databaseFailure } from '../startup/errors';
import { BeginlessDialect } from './beginless';
import { AUDIT_ENTITIES } from './audit/entities';
import { COMMON_ENTITIES } from './common/entities';
import { LEDGER_ENTITIES } from './ledger/entities';
import { NOTIFICATION_ENTITIES } from './notifications/entities';
import { ORDER_ENTITIES } from './orders/entities';
import { PAYOUT_ENTITIES } from './payouts/entities';
import { RESERVE_ENTITIES } from './reserve/entities';
import { SANDBOX_ENTITIES } from './sandbox/entities';
import { TOP_UP_ENTITIES } from './reserve/top-up-entities';
import { Migration20261125000000_initial } from './migrations/Migration20261125000000_initial';
import { Migration20261201000000_records_reconciliation } from './migrations/Migration20261201000000_records_reconciliation';
import { Migration20261202000000_sub_accounts_per_seller } from './migrations/Migration20261202000000_sub_accounts_per_seller';
import { Migration20261203000000_summary_covering_indexes } from './migrations/Migration20261203000000_summary_covering_indexes';
import { Migration20261204100000_payout_edges } from './migrations/Migration20261204100000_payout_edges';
import { Migration20261204120000_notification_read_at } from './migrations/Migration20261204120000_notification_read_at';
import { Migration20261210000000_exact_ids_and_principals } from './migrations/Migration20261210000000_exact_ids_and_principals';
import { Migration20261211000000_audit_archive } from './migrations/Migration20261211000000_audit_archive';
import { Migration20261212000000_cards_undeliverable } from './migrations/Migration20261212000000_cards_undeliverable';
import { Migration20261213100000_payout_approval } from './migrations/Migration20261213100000_payout_approval';
import { Migration20261214000000_auto_top_up } from './migrations/Migration20261214000000_auto_top_up';
import { Migration20261215000000_payout_day_tallies } from './migrations/Migration20261215000000_payout_day_tallies';
import { Migration20261216000000_usage_from_tallies } from './migrations/Migration20261216000000_usage_from_tallies';
import { Migration20261217000000_payout_request_hash } from './migrations/Migration20261217000000_payout_request_hash';

export type Orm = MikroORM;

/** Connection pool bound per process; the worker and the API each hold one pool. */
export const DB_POOL_SIZE_MAX = 20;

/**
 * Every connection runs at READ COMMITTED: a seller-scoped write locks the seller's row and must
 * then read what committed before it got the lock, which REPEATABLE READ's snapshot (taken at the
 * transaction's first read) would hide. Set once per connection rather than per transaction, which
 * would cost a statement each time.
 */
const SESSION_SETUP = 'set session transaction isolation level read committed';

type RawConnection = { query(sql: string, done: (err: Error | null) => void): void };

const MIGRATIONS = [
  { name: 'Migration20261125000000_initial', class: Migration20261125000000_initial },
  { name: 'Migration20261201000000_records_reconciliation', class: Migration20261201000000_records_reconciliation },
  { name: 'Migration20261202000000_sub_accounts_per_seller', class: Migration20261202000000_sub_accounts_per_seller },
  { name: 'Migration20261203000000_summary_covering_indexes', class: Migration20261203000000_summary_covering_indexes },
  { name: 'Migration20261204100000_payout_edges', class: Migration20261204100000_payout_edges },
  { name: 'Migration20261204120000_notification_read_at', class: Migration20261204120000_notification_read_at },
  { name: 'Migration20261210000000_exact_ids_and_principals', class: Migration20261210000000_exact_ids_and_principals },
  { name: 'Migration20261211000000_audit_archive', class: Migration20261211000000_audit_archive },
  { name: 'Migration20261212000000_cards_undeliverable', class: Migration20261212000000_cards_undeliverable },
  { name: 'Migration20261213100000_payout_approval', class: Migration20261213100000_payout_approval },
  { name: 'Migration20261214000000_auto_top_up', class: Migration20261214000000_auto_top_up },
  { name: 'Migration20261215000000_payout_day_tallies', class: Migration20261215000000_payout_day_tallies },
  { name: 'Migration20261216000000_usage_from_tallies', class: Migration20261216000000_usage_from_tallies },
  { name: 'Migration20261217000000_payout_request_hash', class: Migration20261217000000_payout_request_hash },
];

function databaseName(databaseUrl: string): string {
  const name = decodeURIComponent(new URL(databaseUrl).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`DATABASE_URL must name a database of [A-Za-z0-9_]: "${name}"`);
  return name;
}

/**
 * SPEC §8b: the database named by DATABASE_URL is created if missing. This is the first contact
 * with the database at start-up, so its known failures become sentences that say what to do.
 */
export async function ensureDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const name = databaseName(databaseUrl);
  url.pathname = '/';
  try {
    const connection = await mysql.createConnection(url.toString());
    try {
      await connection.query(`create database if not exists \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
    } finally {
      await connection.end();
    }
  } catch (err) {
    throw databaseFailure(err, databaseUrl) ?? err;
  }
}

export async function openOrm(databaseUrl: string, poolSizeMax = DB_POOL_SIZE_MAX): Promise<Orm> {
  return MikroORM.init(ormOptions(databaseUrl, poolSizeMax, [SESSION_SETUP]));
}

/**
 * The ORM of the payout's own writes (issue 18): its connections run with autocommit off and its
 * transactions send no BEGIN (db/beginless.ts), so each of the reservation, the confirmation and
 * the posting is a statement shorter, and sends the writes it has decided on in one packet
 * (sendTogether). Its EntityManager runs statements inside `transactional`
 * only: anything else is refused before it is sent. The database must exist and be migrated (the
 * process's main ORM sees to that first), since opening this one connects to nothing.
 */
export async function openBeginlessOrm(databaseUrl: string, poolSizeMax = DB_POOL_SIZE_MAX): Promise<Orm> {
  const orm = await MikroORM.init({
    ...ormOptions(databaseUrl, poolSizeMax, [SESSION_SETUP, 'set session autocommit = 0']),
    driverOptions: { client: BeginlessDialect },
    // sendTogether's packets (db/beginless.ts). Every statement on this pool is the payout's own,
    // its values placeholders the ORM formats: no client text is ever spliced into one.
    multipleStatements: true,
    // Connecting checks the connection with a statement outside a transaction, which this pool refuses.
    connect: false,
  });
  // The ORM logs the BEGIN it would send: none is, and the query log (the statement budget's test) says so.
  const platform = orm.em.getPlatform();
  platform.getBeginTransactionSQL = () => [];
  return orm;
}

function ormOptions(databaseUrl: string, poolSizeMax: number, sessionSetup: string[]): Options {
  return {
    clientUrl: databaseUrl,
    // Each module owns its entities (db/<module>/entities.ts).
    entities: [...RESERVE_ENTITIES, ...ORDER_ENTITIES, ...PAYOUT_ENTITIES, ...LEDGER_ENTITIES, ...NOTIFICATION_ENTITIES, ...TOP_UP_ENTITIES, ...SANDBOX_ENTITIES, ...COMMON_ENTITIES, ...AUDIT_ENTITIES],
    // A new row's `onCreate` values are set by `em.create` itself, as class field initialisers did.
    processOnCreateHooksEarly: true,
    extensions: [Migrator],
    // MySQL commits DDL implicitly, so a migration cannot be wrapped in a transaction.
    migrations: { migrationsList: MIGRATIONS, transactional: false, silent: true },
    pool: {
      min: 0,
      max: poolSizeMax,
      afterCreate: (connection: RawConnection, done: (err: Error | null, connection: RawConnection) => void) => {
        const next = ([sql, ...rest]: string[]): void => {
          if (sql === undefined) done(null, connection);
          else connection.query(sql, (err) => (err ? done(err, connection) : next(rest)));
        };
        next(sessionSetup);
      },
    },
    timezone: '+00:00',
    discovery: { warnWhenNoEntities: false },
    allowGlobalContext: false,
    debug: false,
  };
}

/** Creates the database when missing, applies pending migrations, and returns the ORM. */
export async function openMigratedOrm(databaseUrl: string, poolSizeMax?: number): Promise<Orm> {
  await ensureDatabase(databaseUrl);
  const orm = await openOrm(databaseUrl, poolSizeMax);
  await orm.getMigrator().up();
  return orm;
}
