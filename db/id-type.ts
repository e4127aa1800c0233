/**
 * The column type of every id column. It refuses, at the ORM, any value that is not a string —
 * in rows written and in every condition of every query (MikroORM converts condition values
 * through the property's type, `$in` lists element by element). MySQL would compare a VARCHAR id
 * with a number as DOUBLE, matching ids that merely start with the same digits; with this type no
 * query can, whatever path a value took to get there.
 */
import { StringType } from '@mikro-orm/core';

export class IdType extends StringType {
  override convertToDatabaseValue(value: unknown): string {
    // Absent values of nullable columns pass as they are; SQL NULL compares with nothing.
    if (value === null || value === undefined) return value as unknown as string;
    if (typeof value !== 'string') throw new TypeError(`an id column was given a ${Array.isArray(value) ? 'array' : typeof value}`);
    return value;
  }
}
