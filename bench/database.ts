/**
 * The benchmark's own database: created fresh (dropped first) and migrated at start, dropped at
 * the end unless `--keep-database`, so that a run never meets the data of `npm start`, of the tests
 * or of an earlier run. Also reads the server's statement counters, to count round trips per
 * lifecycle.
 */
import mysql from 'mysql2/promise';
import { openMigratedOrm } from '../db/orm';

/** Where MariaDB listens; the benchmark talks to 127.0.0.1 only. */
export const DATABASE_SERVER_URL = process.env.BENCH_DATABASE_SERVER ?? 'mysql://root@127.0.0.1:3306';

export const databaseUrlOf = (name: string) => `${DATABASE_SERVER_URL}/${name}`;

/** Drops `name` if present, then creates it and applies the product's migrations. */
export async function createFreshDatabase(name: string): Promise<string> {
  await dropDatabase(name);
  const url = databaseUrlOf(name);
  const orm = await openMigratedOrm(url);
  await orm.close();
  return url;
}

export async function dropDatabase(name: string): Promise<void> {
  const admin = await mysql.createConnection(`${DATABASE_SERVER_URL}/`);
  try {
    await admin.query(`drop database if exists \`${name}\``);
  } finally {
    await admin.end();
  }
}

export async function connectDatabase(name: string): Promise<mysql.Connection> {
  // Multiple statements let the list scenario send a batch of inserts in one round trip.
  return mysql.createConnection({ uri: databaseUrlOf(name), multipleStatements: true, timezone: 'Z' });
}

/**
 * Server-wide counters: statements, commits, InnoDB's fsyncs (of the data files and of the redo
 * log: on MariaDB 10.11 each autocommit insert moves it by one, and it has no
 * `Innodb_os_log_fsyncs`) and redo log writes. They count every client of the server, so the benchmark
 * reads them around the ceiling phase as well (which touches no database): what moves there is
 * other clients' noise.
 */
const STATUS_COUNTERS = ['Questions', 'Com_select', 'Com_insert', 'Com_update', 'Com_commit', 'Innodb_data_fsyncs', 'Innodb_log_writes'] as const;
export type StatusCounters = Record<(typeof STATUS_COUNTERS)[number], number>;

export async function readStatusCounters(db: mysql.Connection): Promise<StatusCounters> {
  const [rows] = await db.query<mysql.RowDataPacket[]>(
    `show global status where Variable_name in (${STATUS_COUNTERS.map(() => '?').join(', ')})`,
    [...STATUS_COUNTERS],
  );
  const counters = Object.fromEntries(STATUS_COUNTERS.map((name) => [name, 0])) as StatusCounters;
  for (const row of rows) counters[row.Variable_name as keyof StatusCounters] = Number(row.Value);
  return counters;
}

/** What the counters moved by between two readings. */
export function counterDelta(before: StatusCounters, after: StatusCounters): StatusCounters {
  return Object.fromEntries(STATUS_COUNTERS.map((name) => [name, after[name] - before[name]])) as StatusCounters;
}

export function addCounters(a: StatusCounters | undefined, b: StatusCounters): StatusCounters {
  return Object.fromEntries(STATUS_COUNTERS.map((name) => [name, (a?.[name] ?? 0) + b[name]])) as StatusCounters;
}

/** Counters per unit of work (e.g. per lifecycle), one decimal (or 1 / `scale`). */
export function perUnit(total: StatusCounters, units: number, scale = 10): StatusCounters {
  return Object.fromEntries(STATUS_COUNTERS.map((name) => [name, units > 0 ? Math.round((total[name] / units) * scale) / scale : 0])) as StatusCounters;
}
