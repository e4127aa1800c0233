/**
 * A row that hand-written SQL read, as its entity's data: the columns renamed to properties and
 * each value converted as the ORM converts it when it maps a row (`em.map`: the driver's result
 * mapper for dates and booleans, the validator's fixes of scalar types, each custom type's
 * `convertToJSValue`), but left a plain object. `em.map` also makes it a managed entity, merged
 * into the identity map and compared again at every flush; a read that only answers from the row,
 * or decides from it, needs none of that (issue 18: that merge was most of a status read's mapping
 * in the API's profile, and a twentieth of the reservation's CPU in the worker's).
 * test/integration/row-of.test.ts compares it with `em.map` column by column.
 */
import { ReferenceKind, SCALAR_TYPES, Utils, type EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';

export function rowOf<T extends object>(em: EntityManager, entity: EntityName<T>, columns: Record<string, unknown>): T {
  const meta = em.getMetadata().get<T>(Utils.className(entity));
  const data = em.getDriver().mapResult(columns as never, meta) as Record<string, unknown>;
  const validator = em.getValidator();
  const platform = em.getPlatform();
  for (const prop of meta.props) {
    if (prop.kind !== ReferenceKind.SCALAR || !(prop.name in data)) continue;
    const value = data[prop.name];
    if (value == null) continue;
    if (prop.customType) data[prop.name] = prop.customType.convertToJSValue(value, platform);
    else if (SCALAR_TYPES.includes(prop.runtimeType) && (prop.setter || !prop.getter)) data[prop.name] = validator.validateProperty(prop, value, data);
  }
  return data as T;
}
