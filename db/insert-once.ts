/**
 * Write-once rows (idempotency records, chat cards, the sandbox provider's transactions) go in with
 * one statement and no read back: `em.upsert` would read every row again to hydrate it, which on
 * the payout path cost a query per row. Duplicates of the unique key are ignored with INSERT IGNORE,
 * as upsert's `onConflictAction: 'ignore'` did: it is the form whose affected-row count tells a new
 * row from a duplicate (the driver counts a row ON DUPLICATE KEY UPDATE left unchanged as affected).
 * Its cost is that it would also downgrade other errors to warnings, so the rows given here are the
 * application's own, already validated.
 */
import { Utils, type EntityMetadata, type EntityName, type EntityProperty, type RequiredEntityData } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';
import { runStatement, type Statement } from './beginless';

/** Inserts the rows whose unique key is free; returns how many this call inserted. */
export async function insertOnce<T extends object>(em: EntityManager, entity: EntityName<T>, rows: RequiredEntityData<T> | RequiredEntityData<T>[], conflictFields: (keyof T & string)[]): Promise<number> {
  const statement = insertOnceStatement(em, entity, rows, conflictFields);
  if (!statement) return 0;
  return (await runStatement(em, statement)).affectedRows;
}

/**
 * insertOnce's INSERT IGNORE, for a packet of statements (db/beginless.ts `sendTogether`); none for
 * no rows. `_conflictFields` names the unique key that makes a row a duplicate, for the reader: MySQL's
 * INSERT IGNORE takes no key (the query builder, which this replaced, left it out of the text too).
 */
export function insertOnceStatement<T extends object>(em: EntityManager, entity: EntityName<T>, rows: RequiredEntityData<T> | RequiredEntityData<T>[], _conflictFields: (keyof T & string)[]): Statement | undefined {
  const data = Array.isArray(rows) ? rows : [rows];
  if (data.length === 0) return undefined;
  return insertStatement(em, entity, data, { ignore: true });
}

/**
 * An INSERT of `rows` (each with the same properties, all of them plain columns), as the ORM's
 * query builder writes it: the same text, whose columns knex sorts by name, and the same
 * parameters, each converted by its column's type (test/integration/insert-statement.test.ts
 * compares the two). Issue 18: the query builder compiled the text again for every payout and
 * every card, the largest part of the worker's CPU for those writes; here it is made once per
 * entity and shape, and only the values are converted each time.
 */
export function insertStatement<T extends object>(em: EntityManager, entity: EntityName<T>, rows: readonly RequiredEntityData<T>[], options: { ignore?: boolean } = {}): Statement {
  if (rows.length === 0) throw new TypeError('an INSERT needs a row');
  const meta = em.getMetadata().get<T>(Utils.className(entity));
  const names = Object.keys(rows[0]);
  const shape = `${meta.className}:${options.ignore ? 'ignore' : 'insert'}:${rows.length}:${names.join(',')}`;
  let made = INSERT_TEXTS.get(shape);
  if (!made) {
    const columns = names.map((name) => plainColumn(meta, name)).sort((a, b) => (a.fieldNames[0] < b.fieldNames[0] ? -1 : 1));
    const values = `(${columns.map(() => '?').join(', ')})`;
    const sql = `insert ${options.ignore ? 'ignore ' : ''}into \`${meta.tableName}\` (${columns.map((prop) => `\`${prop.fieldNames[0]}\``).join(', ')}) values ${rows.map(() => values).join(', ')}`;
    made = { sql, columns };
    INSERT_TEXTS.set(shape, made);
  }
  const platform = em.getPlatform();
  const params = rows.flatMap((row) => {
    const given = Object.keys(row);
    if (given.length !== names.length || given.some((name, i) => name !== names[i])) throw new TypeError(`the rows of one ${meta.className} INSERT need the same properties in the same order`);
    return made.columns.map((prop) => {
      const value: unknown = (row as Record<string, unknown>)[prop.name];
      if (prop.customType) return prop.customType.convertToDatabaseValue(value, platform, { fromQuery: true, key: prop.name, mode: 'query-data' });
      return Array.isArray(value) || Utils.isPlainObject(value) ? JSON.stringify(value) : value;
    });
  });
  return { sql: made.sql, params };
}

/** INSERT texts by entity and shape (insertStatement); the shapes are the code's own, a few dozen at most. */
const INSERT_TEXTS = new Map<string, { sql: string; columns: EntityProperty[] }>();

/** A property stored as one column the statement can hold as it is; anything else is refused, not guessed at. */
function plainColumn<T>(meta: EntityMetadata<T>, name: string): EntityProperty {
  const prop = (meta.properties as Record<string, EntityProperty | undefined>)[name];
  if (!prop || prop.kind !== 'scalar' || prop.fieldNames?.length !== 1 || prop.embeddedProps || prop.hasConvertToDatabaseValueSQL || prop.persist === false) {
    throw new TypeError(`${meta.className}.${name} is not a plain column an INSERT statement can hold`);
  }
  return prop;
}
