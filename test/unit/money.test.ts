/**
 * SPEC §4.7: money is an integer number of fen everywhere (`domain/money.ts`), and SPEC §8b's
 * durations (`domain/duration.ts`).
 */
import { AMOUNT_FEN_MAX, assertFen, formatYuan, isFen } from '../../domain/money';
import { parseDurationMs } from '../../domain/duration';

describe('isFen / assertFen (SPEC §4.7)', () => {
  test.each<[string, unknown]>([
    ['zero', 0],
    ['one fen', 1],
    ['¥45.00', 4_500],
    ['the per-payout cap', 100_000],
    ['AMOUNT_FEN_MAX', AMOUNT_FEN_MAX],
    ['an integral float literal (1.0 is the number 1)', 1.0],
  ])('accepts %s', (_name, value) => {
    expect(isFen(value)).toBe(true);
    expect(() => assertFen(value, 'amount')).not.toThrow();
  });

  test.each<[string, unknown]>([
    ['a float', 0.5],
    ['a float just above an integer', 45.01],
    ['the classic float sum', 0.1 + 0.2],
    ['a negative integer', -1],
    ['a negative float', -0.01],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['a numeric string', '100'],
    ['a yuan string', '45.00'],
    ['an empty string', ''],
    ['a bigint', BigInt(100)],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { fen: 1 }],
    ['an array', [1]],
    ['a Number object', Object(1)],
    ['one above AMOUNT_FEN_MAX', AMOUNT_FEN_MAX + 1],
    ['MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER],
    ['an unsafe integer (2^53)', 2 ** 53],
    ['an unsafe integer (2^53 + 2)', 2 ** 53 + 2],
    ['1e21', 1e21],
  ])('refuses %s', (_name, value) => {
    expect(isFen(value)).toBe(false);
    expect(() => assertFen(value, 'amount')).toThrow(TypeError);
  });

  test('assertFen names the field and the value in its message', () => {
    expect(() => assertFen(12.5, 'movement amount')).toThrow('movement amount must be a non-negative safe integer of fen, got 12.5');
  });
});

describe('formatYuan', () => {
  test.each([
    [0, '0.00'],
    [1, '0.01'],
    [9, '0.09'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [101, '1.01'],
    [4_500, '45.00'],
    [9_000, '90.00'],
    [100_000, '1000.00'],
    [123_456, '1234.56'],
    [500_000, '5000.00'],
    [AMOUNT_FEN_MAX, '10000000000.00'],
    [-1, '-0.01'],
    [-123_456, '-1234.56'],
  ])('%i fen → "%s"', (fen, text) => {
    expect(formatYuan(fen)).toBe(text);
  });
});

describe('parseDurationMs (SPEC §8b)', () => {
  test.each([
    ['3d', 3 * 86_400_000],
    ['1d', 86_400_000],
    ['72h', 3 * 86_400_000],
    ['2h', 7_200_000],
    ['12h', 43_200_000],
    ['30m', 1_800_000],
    ['1m', 60_000],
    ['5s', 5_000],
    ['4s', 4_000],
    ['250ms', 250],
    ['500ms', 500],
    ['1ms', 1],
    [' 5s ', 5_000],
    ['5 s', 5_000],
    ['007s', 7_000],
  ])('"%s" → %i ms', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  test.each([
    '',
    ' ',
    '3',
    'd',
    's5',
    '3 days',
    '3D',
    '5S',
    '1.5h',
    '-3d',
    '+3d',
    '3d2h',
    '3w',
    '3y',
    '5sec',
    'ms',
    'abc',
    'PT5S',
  ])('"%s" is not a duration → throws', (text) => {
    expect(() => parseDurationMs(text)).toThrow(`not a duration: "${text}"`);
  });

  test.each(['0s', '0ms', '0d', '999999999999999999d'])('"%s" is out of range → throws', (text) => {
    expect(() => parseDurationMs(text)).toThrow(`duration out of range: "${text}"`);
  });
});
