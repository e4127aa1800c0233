/**
 * Write-once rows (idempotency records, chat cards, the sandbox provider's transactions) go in with
 * one statement and no read back: `em.upsert` would read every row again to hydrate it, which on
 * the payout path cost a query per row. Duplicates of the unique key are ignored with INSERT IGNORE,
 * as upsert's `onConflictAction: 'ignore'` did: it is the form whose affected-row count tells a new
 * row from a duplicate (the driver counts a row ON DUPLICATE KEY UPDATE left unchanged as affected).
 * Its cost is that it would also downgrade other errors to warnings, so the rows given here are the
 * application's own, already validated.
 */
import type { EntityName, RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';

/** Inserts the rows whose unique key is free; returns how many this call inserted. */
export async function insertOnce<T extends object>(em: EntityManager, entity: EntityName<T>, rows: RequiredEntityData<T> | RequiredEntityData<T>[], conflictFields: (keyof T & string)[]): Promise<number> {
  const data = Array.isArray(rows) ? rows : [rows];
  if (data.length === 0) return 0;
  const result = await em.createQueryBuilder(entity).insert(data).onConflict(conflictFields).ignore().execute('run');
  return result.affectedRows;
}
