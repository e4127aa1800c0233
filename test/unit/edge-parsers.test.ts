/** Pure parsers of the API edge (issue 12): ids, date query parameters, well-formed Unicode. */
import { instantParam } from '../../api/query-dates';
import { isId, parseId } from '../../domain/id';
import { illFormedPath, isWellFormed, wellFormed } from '../../domain/unicode';

describe('isId', () => {
  test.each([['seller-1', true], ['a.b:c_d-9', true], ['x'.repeat(64), true], ['x'.repeat(65), false], ['', false], ['a b', false], ['卖家', false]])('%j is an id: %s', (value, expected) => {
    expect(isId(value)).toBe(expected);
  });
  test.each([[547_215_808_808], [0], [['seller-1']], [{ toString: () => 'seller-1' }], [true], [null], [undefined]])('%j is not, whatever its text would match', (value) => {
    expect(isId(value)).toBe(false);
    expect(parseId(value)).toBeNull();
  });
});

describe('instantParam', () => {
  test.each([
    ['2026-06-30T16:00:00Z', '2026-06-30T16:00:00.000Z'],
    ['2026-06-30T23:59:59.999+08:00', '2026-06-30T15:59:59.999Z'],
    ['2026-06-30t00:00:00.123456789z', '2026-06-30T00:00:00.123Z'],
    ['2024-02-29T00:00:00-00:30', '2024-02-29T00:30:00.000Z'],
    ['1000-01-01T00:00:00Z', '1000-01-01T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(instantParam(text, 'createdFrom')?.toISOString()).toBe(iso);
  });
  test.each(['2026-06-30T23:59:60Z', '2023-02-29T00:00:00Z', '2024-02-30T00:00:00Z', '2024-04-31T00:00:00Z', '2024-01-01T24:00:00Z', '2024-13-01T00:00:00Z',
    '2024-01-01', '2024-01-01T00:00Z', '2024-01-01 00:00:00Z', '2024-01-01T00:00:00', '2024-01-01T00:00:00+24:00', '0999-12-31T23:59:59Z',
    '9999-12-31T23:59:59-05:00', '+275760-09-13T00:00:00Z', ''])('%j is 400 VALIDATION_ERROR naming the field', (text) => {
    expect(() => instantParam(text, 'createdTo')).toThrow(expect.objectContaining({ code: 'VALIDATION_ERROR', details: { field: 'query.createdTo' } }));
  });
  test('absent is undefined', () => expect(instantParam(undefined, 'createdTo')).toBeUndefined());
});

describe('well-formed Unicode', () => {
  test.each([['plain', true], ['退款 😀 𠀀', true], ['x\ud800y', false], ['x\udc00', false], ['\ud83d', false], ['\ude00\ud83d', false]])('%j well-formed: %s', (text, expected) => {
    expect(isWellFormed(text)).toBe(expected);
  });
  test('illFormedPath names the first ill-formed string or key', () => {
    expect(illFormedPath({ a: ['ok', { b: 'x\udfffz' }] })).toBe('a.1.b');
    expect(illFormedPath({ ['k\ud800']: 1 })).toBe('k\ud800');
    expect(illFormedPath('\ud800')).toBe('');
    expect(illFormedPath({ a: '😀', b: [1, null, true] })).toBeNull();
  });
  test('a deeply nested value is walked without recursion', () => {
    let deep: unknown = 'x\ud800';
    for (let i = 0; i < 20_000; i += 1) deep = [deep];
    expect(illFormedPath(deep)).toMatch(/^0(\.0)+$/);
  });
  test('wellFormed replaces lone surrogates in strings and keys, and leaves the rest alone', () => {
    expect(wellFormed({ a: 'x\ud800y', ['k\udc00']: ['😀', '\\ud800 typed', '\\\ud800'] })).toEqual({ a: 'x\ufffdy', 'k\ufffd': ['😀', '\\ud800 typed', '\\\ufffd'] });
  });
});
