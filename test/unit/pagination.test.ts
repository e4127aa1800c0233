/** The cursor codec of every list (db/pagination.ts), as a table: what it accepts and what is 400. */
import { decodeCursor, encodeCursor, type Keyset } from '../../db/pagination';
import { DomainError } from '../../domain/errors';

interface Row {
  createdAt: Date;
  id: string;
  seq: number;
}

const byTime: Keyset<Row> = { columns: [{ name: 'createdAt', kind: 'date' }, { name: 'id', kind: 'string' }], direction: 'desc' };
const bySeq: Keyset<Row> = { columns: [{ name: 'seq', kind: 'integer' }], direction: 'desc' };
const byId: Keyset<Row> = { columns: [{ name: 'id', kind: 'string' }], direction: 'asc' };
const cursorOf = (values: unknown) => Buffer.from(JSON.stringify(values)).toString('base64url');

test('a cursor round-trips its row key, dates as instants and ids that look like dates as strings', () => {
  const row = { createdAt: new Date('2026-11-30T08:00:00.123Z'), id: '2024-01-01T00:00:00.000Z', seq: 42 };
  expect(decodeCursor(byTime, encodeCursor(byTime, row))).toEqual([row.createdAt, row.id]);
  expect(decodeCursor(bySeq, encodeCursor(bySeq, row))).toEqual([42]);
  expect(decodeCursor(byId, encodeCursor(byId, row))).toEqual([row.id]);
  expect(decodeCursor(byId, undefined)).toBeNull();
  expect(JSON.parse(Buffer.from(encodeCursor(byTime, row), 'base64url').toString())).toEqual(['2026-11-30T08:00:00.123Z', row.id]);
});

test.each([
  ['empty text', byId, ''],
  ['not base64url', byId, 'a+b/c='],
  ['not JSON', byId, Buffer.from('{').toString('base64url')],
  ['an object', byId, cursorOf({ id: 'x' })],
  ['too few values', byTime, cursorOf(['2026-11-30T08:00:00.123Z'])],
  ['too many values', bySeq, cursorOf([1, 2])],
  ['an operator object', bySeq, cursorOf([{ $gt: 0 }])],
  ['a date without milliseconds', byTime, cursorOf(['2026-11-30T08:00:00Z', 'x'])],
  ['a date in another zone', byTime, cursorOf(['2026-11-30T08:00:00.000+08:00', 'x'])],
  ['a date that does not exist', byTime, cursorOf(['2026-02-30T08:00:00.000Z', 'x'])],
  ['a year before 1000', byTime, cursorOf(['0999-12-31T23:59:59.999Z', 'x'])],
  ['a number for a date', byTime, cursorOf([1_700_000_000_000, 'x'])],
  ['a negative integer', bySeq, cursorOf([-1])],
  ['a fraction', bySeq, cursorOf([1.5])],
  ['an unsafe integer', bySeq, cursorOf([2 ** 53])],
  ['a string for an integer', bySeq, cursorOf(['1'])],
  ['an empty string', byId, cursorOf([''])],
  ['a string past its bound', byId, cursorOf(['x'.repeat(129)])],
  ['a number for a string', byId, cursorOf([1])],
  ['null', byId, cursorOf([null])],
])('%s is 400 VALIDATION_ERROR on query.cursor', (_name, keyset, text) => {
  let error: unknown;
  try {
    decodeCursor(keyset as Keyset<Row>, text);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(DomainError);
  expect(error).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'query.cursor' } });
});
