/**
 * Ids of accounts, sellers, buyers and orders: strings of `ID_PATTERN`, the same pattern as the
 * `Id` schema of openapi.yaml. `Id` is a branded string that only `parseId` builds, so that code
 * which reaches the database with an id has been through the check, and a number, an array or an
 * object (a JWT claim is any JSON) cannot stand in for one: MySQL compares a VARCHAR column with a
 * number as DOUBLE, so `547215808808` would match the id `547215808808-...` of someone else.
 */
export type Id = string & { readonly __brand: 'Id' };

export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Only a string is tested: `RegExp.test` would turn a number or an array into text first. */
export function isId(value: unknown): value is Id {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** The value as an Id, or null when it is not one. */
export function parseId(value: unknown): Id | null {
  return isId(value) ? value : null;
}

/** For values the edge has already validated (path and query parameters): a failure is a defect. */
export function asId(value: unknown): Id {
  if (!isId(value)) throw new TypeError(`not an id: ${typeof value}`);
  return value;
}

export function optionalId(value: unknown): Id | undefined {
  return value === undefined ? undefined : asId(value);
}
