/**
 * What every module's entities share: `table`, which declares one, and the column kinds, as
 * `defineEntity` property builders: money is BIGINT fen mapped to JS numbers (checked as safe
 * integers where it enters), ids refuse non-strings (db/id-type.ts), instants are DATETIME(3) in UTC.
 */
import { defineEntity } from '@mikro-orm/core';
import { IdType } from './id-type';
import type { Fen } from '../domain/money';

export const p = defineEntity.properties;

/** The entity `name`, rows of the table `tableName`: every entity of ours is its name, its table and its columns. */
export function table<Properties extends Record<string, unknown>>(name: string, tableName: string, properties: Properties) {
  return defineEntity({ name, tableName, properties });
}

export const fen = () => p.bigint('number').$type<Fen>();
export const id = () => p.type(IdType).$type<string>();
export const time = () => p.datetime(3);
/** An auto-increment BIGINT key, read as a JS number. */
export const serial = () => p.bigint('number').primary().autoincrement();

type ValueOf<B> = B extends { '~type'?: { value: infer V } } ? V : never;
type OptionsOf<B> = B extends { '~options': infer O } ? O : never;

/**
 * A nullable column, read as `T | null`: `.nullable()` alone would also type it `undefined`, which
 * no row holds. A new row that does not name it starts null (`onCreate`), so no one reads a column
 * that was never set.
 */
export function orNull<B extends { nullable(): unknown }>(builder: B): { '~type'?: { value: ValueOf<B> | null }; '~options': OptionsOf<B> } {
  const nullable = builder.nullable() as { onCreate(make: () => null): unknown };
  return nullable.onCreate(() => null) as never;
}

/** Nullable instants, one column a name: moments of a row's life, each null until it is reached. */
export function momentColumns<const K extends string>(names: readonly K[]): Record<K, ReturnType<typeof orNull<ReturnType<typeof time>>>> {
  return Object.fromEntries(names.map((name) => [name, orNull(time())])) as Record<K, ReturnType<typeof orNull<ReturnType<typeof time>>>>;
}

/**
 * What a new row holds until it is set (MikroORM runs `onCreate` at `em.create` with the ORM's
 * `processOnCreateHooksEarly`, db/orm.ts): the database has no default of its own for these.
 */
export const initially = <T>(value: T) => () => value as never;
