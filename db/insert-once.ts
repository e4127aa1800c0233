/**
 * Write-once rows (idempotency records, chat cards, the sandbox provider's transactions) go in with
 * one statement and no read back: `em.upsert` would read every row again to hydrate it, which on
 * the payout path cost a query per row. Duplicates of the unique key are ignored with INSERT IGNORE,
 * as upsert's `onConflictAction: 'ignore'` did: it is the form whose affected-row count tells a new
 * row from a duplicate (the driver counts a row ON DUPLICATE KEY UPDATE left unchanged as affected).
 * Its cost is that it would also downgrade other errors to warnings, so the rows given here are the
 * application's own, already validated.
 */
import type { EntityName, QueryResult, RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';
import type { Statement } from './beginless';

/** Inserts the rows whose unique key is free; returns how many this call inserted. */
export async function insertOnce<T extends object>(em: EntityManager, entity: EntityName<T>, rows: RequiredEntityData<T> | RequiredEntityData<T>[], conflictFields: (keyof T & string)[]): Promise<number> {
  const statement = insertOnceStatement(em, entity, rows, conflictFields);
  if (!statement) return 0;
  const result = await em.execute<QueryResult>(statement.sql, [...statement.params], 'run');
  return result.affectedRows;
}

/** insertOnce's INSERT IGNORE, for a packet of statements (db/beginless.ts `sendTogether`); none for no rows. */
export function insertOnceStatement<T extends object>(em: EntityManager, entity: EntityName<T>, rows: RequiredEntityData<T> | RequiredEntityData<T>[], conflictFields: (keyof T & string)[]): Statement | undefined {
  const data = Array.isArray(rows) ? rows : [rows];
  if (data.length === 0) return undefined;
  const qb = em.createQueryBuilder(entity).insert(data).onConflict(conflictFields).ignore();
  return { sql: qb.getQuery(), params: qb.getParams() };
}
