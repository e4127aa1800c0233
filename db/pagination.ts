/**
 * Keyset pagination for every list of the API and every CSV export: one cursor shape, one bound on
 * `limit`. A cursor is the sort key of the last row sent, as a JSON array, in base64url: the shape
 * of MikroORM's `em.findByCursor` cursors, and pages are read with `findByCursor`. A client's
 * cursor reaches it only once checked here against the declared types of the key's columns
 * (anything else is 400 `VALIDATION_ERROR`): `findByCursor` alone takes a cursor of the wrong
 * length as the first page and answers a malformed one with a 500.
 */
import type { EntityManager, EntityName, FilterQuery, FindByCursorOptions, FindOptions, QueryOrderMap } from '@mikro-orm/mysql';
import { DomainError } from '../domain/errors';

/** Every list answers at most this many rows per page (openapi.yaml's `Limit` says the same). */
export const PAGE_SIZE_MAX = 100;
/** The page size when the client names none. */
export const PAGE_SIZE_DEFAULT = 20;
/** Exports read this many rows per query, so that their memory stays flat whatever their length. */
export const EXPORT_PAGE_SIZE = 500;
/** The most rows one export may hold; a larger one is refused before the first row is sent. */
export const EXPORT_ROWS_MAX = 100_000;

/** A string value of a cursor is at most this long (ids are at most 64 characters). */
const CURSOR_STRING_MAX = 128;
/** How `Date.prototype.toJSON` spells an instant; a cursor's dates must be spelled the same way. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export type KeyKind = 'date' | 'integer' | 'string';

/**
 * The sort key of a list: columns, most significant first, all sorted in one direction. The last
 * column must be unique (a primary key), so that every row has its own place.
 */
export interface Keyset<T> {
  readonly columns: readonly { readonly name: keyof T & string; readonly kind: KeyKind }[];
  readonly direction: 'asc' | 'desc';
}

export interface PageRequest {
  cursor?: string;
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** The cursor of the next page; null on the last one. */
  nextCursor: string | null;
}

export function encodeCursor<T>(keyset: Keyset<T>, row: T): string {
  return encodeValues(keyOf(keyset, row));
}

function keyOf<T>(keyset: Keyset<T>, row: T): unknown[] {
  return keyset.columns.map(({ name }) => row[name]);
}

/** JSON spells a Date as `toISOString` does, so a key's dates come back as `ISO_INSTANT`. */
function encodeValues(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

/** The key values a client's cursor holds, each checked against its column's type. */
export function decodeCursor<T>(keyset: Keyset<T>, text: string | undefined): unknown[] | null {
  if (text === undefined) return null;
  const invalid = () => new DomainError('VALIDATION_ERROR', 'the cursor is not valid', { field: 'query.cursor' });
  if (!BASE64URL.test(text)) throw invalid();
  let values: unknown;
  try {
    values = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(values) || values.length !== keyset.columns.length) throw invalid();
  return keyset.columns.map(({ kind }, i) => {
    const value = parseKeyValue(kind, values[i]);
    if (value === undefined) throw invalid();
    return value;
  });
}

function parseKeyValue(kind: KeyKind, value: unknown): unknown {
  switch (kind) {
    case 'date': {
      if (typeof value !== 'string' || !ISO_INSTANT.test(value)) return undefined;
      const at = new Date(value);
      // A DATETIME column holds years 1000-9999; outside them the comparison would be meaningless.
      return Number.isNaN(at.getTime()) || at.toISOString() !== value || value < '1000' ? undefined : at;
    }
    case 'integer':
      return Number.isSafeInteger(value) && (value as number) >= 0 ? value : undefined;
    case 'string':
      return typeof value === 'string' && value.length >= 1 && value.length <= CURSOR_STRING_MAX ? value : undefined;
  }
}

/** MikroORM's `Cursor.decode` reads any string that starts like an ISO instant as a Date. */
const READ_AS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}/;

/** Whether `findByCursor` reads the key back as it is: not when a string key looks like an instant. */
function readsBack<T>(keyset: Keyset<T>, values: unknown[]): boolean {
  return keyset.columns.every(({ kind }, i) => kind !== 'string' || !READ_AS_DATE.test(values[i] as string));
}

/**
 * The rows strictly after the key, in the keyset's direction: for (a, b) descending,
 * `a < x OR (a = x AND b < y)`. Only for a key `findByCursor` would misread (an id named like an
 * instant, which `ID_PATTERN` allows).
 */
function afterKey<T>(keyset: Keyset<T>, values: unknown[]): FilterQuery<T> {
  const operator = keyset.direction === 'desc' ? '$lt' : '$gt';
  const branches = keyset.columns.map(({ name }, i) => {
    const equal = Object.fromEntries(keyset.columns.slice(0, i).map((column, j) => [column.name, values[j]]));
    return { ...equal, [name]: { [operator]: values[i] } };
  });
  return (branches.length === 1 ? branches[0] : { $or: branches }) as FilterQuery<T>;
}

function orderOf<T>(keyset: Keyset<T>): QueryOrderMap<T> {
  return Object.fromEntries(keyset.columns.map(({ name }) => [name, keyset.direction])) as QueryOrderMap<T>;
}

/**
 * Up to `first` rows after the key (from the start when null), and whether more follow: the query
 * asks for one row more than it answers, so no count is needed.
 */
async function rowsAfter<T extends object>(
  em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>, keyset: Keyset<T>, after: unknown[] | null, first: number, disableIdentityMap = false,
): Promise<{ rows: T[]; more: boolean }> {
  const orderBy = orderOf(keyset);
  if (after === null || readsBack(keyset, after)) {
    const options = { first, after: after ? encodeValues(after) : undefined, orderBy, includeCount: false, disableIdentityMap };
    const page = await em.findByCursor(entity, where, options as FindByCursorOptions<T, never, '*', never, false>);
    return { rows: page.items as T[], more: page.hasNextPage };
  }
  const rows = await em.find(entity, { $and: [where, afterKey(keyset, after)] } as FilterQuery<T>, { orderBy, limit: first + 1, disableIdentityMap } as FindOptions<T>);
  return { rows: rows.slice(0, first), more: rows.length > first };
}

/** One page of the rows that match, in the keyset's order, after the client's cursor. */
export async function findPage<T extends object>(em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>, keyset: Keyset<T>, request: PageRequest): Promise<Page<T>> {
  const limit = Math.min(request.limit ?? PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX);
  const { rows, more } = await rowsAfter(em, entity, where, keyset, decodeCursor(keyset, request.cursor), limit);
  const last = rows[rows.length - 1];
  return { items: rows, nextCursor: more && last ? encodeCursor(keyset, last) : null };
}

/** Whether more than `rowsMax` rows match; reads at most one row past the bound to find out. */
export async function exceedsRows<T extends object>(em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>, keyset: Keyset<T>, rowsMax = EXPORT_ROWS_MAX): Promise<boolean> {
  // The key's columns alone, so that the index answers the offset without reading the rows.
  const fields = keyset.columns.map(({ name }) => name) as unknown as FindOptions<T>['fields'];
  const probe = await em.find(entity, where, { fields, orderBy: orderOf(keyset), offset: rowsMax, limit: 1, disableIdentityMap: true } as FindOptions<T>);
  return probe.length > 0;
}

/**
 * Every row that matches, in the keyset's order, one page per query: what an export streams. Rows
 * are read without the identity map, so that a long export does not keep every row it has sent;
 * `rowsMax` bounds the loop even if rows keep arriving.
 */
export async function* everyRow<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  keyset: Keyset<T>,
  { pageSize = EXPORT_PAGE_SIZE, rowsMax = EXPORT_ROWS_MAX }: ExportBounds = {},
): AsyncGenerator<T> {
  let after: unknown[] | null = null;
  for (let sent = 0; sent < rowsMax; ) {
    const { rows, more }: { rows: T[]; more: boolean } = await rowsAfter(em, entity, where, keyset, after, Math.min(pageSize, rowsMax - sent), true);
    for (const row of rows) yield row;
    sent += rows.length;
    if (!more || rows.length === 0) return;
    after = keyOf(keyset, rows[rows.length - 1]);
  }
}

/** An export's bounds: rows read per query, and rows in all. */
export interface ExportBounds {
  pageSize?: number;
  rowsMax?: number;
}

/** A filtered list and its CSV export: the client's page, whether the export would hold too many rows, and every row to stream. */
export interface FilteredRows<T, F> {
  page: (em: EntityManager, filter: F, request: PageRequest) => Promise<Page<T>>;
  exceedsRows: (em: EntityManager, filter: F, rowsMax?: number) => Promise<boolean>;
  rows: (em: EntityManager, filter: F, bounds?: ExportBounds) => AsyncGenerator<T>;
}

/** The three reads of a filtered list, over one condition (`whereOf`) and one key, so that the list and its export always agree. */
export function filteredRows<T extends object, F>(entity: EntityName<T>, whereOf: (filter: F) => FilterQuery<T>, keyset: Keyset<T>): FilteredRows<T, F> {
  return {
    page: (em, filter, request) => findPage(em, entity, whereOf(filter), keyset, request),
    exceedsRows: (em, filter, rowsMax) => exceedsRows(em, entity, whereOf(filter), keyset, rowsMax),
    rows: (em, filter, bounds) => everyRow(em, entity, whereOf(filter), keyset, bounds),
  };
}

/** The page with each row turned into what the API answers. */
export function mapPage<T, U>(page: Page<T>, toView: (row: T) => U): Page<U> {
  return { items: page.items.map(toView), nextCursor: page.nextCursor };
}

/** A `[from, to)` filter on a time column, or undefined when neither end is given. */
export function timeRange(from?: Date | null, to?: Date | null): { $gte?: Date; $lt?: Date } | undefined {
  if (!from && !to) return undefined;
  return { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) };
}
