/**
 * SPEC §4.6: a day is a calendar day in China Standard Time (Asia/Shanghai, UTC+8). The instants
 * at the edges of a China day are built with `date-fns-tz` from the wall-clock time in Shanghai
 * (not with hand arithmetic), and a second table states the same edges as literal UTC instants so
 * that a fault shared by the helper and the library would still show.
 */
import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';
import { BUSINESS_TIME_ZONE, chinaDay, chinaDayStart, systemClock } from '../../domain/time';

const SHANGHAI = 'Asia/Shanghai';

/** The instant of a wall-clock time in Shanghai, e.g. `2026-03-01T23:59:59.999`. */
const shanghai = (wallClock: string): Date => fromZonedTime(wallClock, SHANGHAI);

test('the business time zone is Asia/Shanghai', () => {
  expect(BUSINESS_TIME_ZONE).toBe(SHANGHAI);
});

describe('chinaDay, instants built from Shanghai wall-clock time with fromZonedTime', () => {
  test.each([
    // [Shanghai wall clock, China day]
    ['2026-03-01T00:00:00.000', '2026-03-01'],
    ['2026-03-01T12:00:00.000', '2026-03-01'],
    ['2026-03-01T23:59:59.999', '2026-03-01'],
    ['2026-03-02T00:00:00.000', '2026-03-02'],
    // month boundaries, including February of a common and of a leap year
    ['2026-02-28T23:59:59.999', '2026-02-28'],
    ['2026-03-01T00:00:00.000', '2026-03-01'],
    ['2028-02-28T23:59:59.999', '2028-02-28'],
    ['2028-02-29T00:00:00.000', '2028-02-29'],
    ['2028-02-29T23:59:59.999', '2028-02-29'],
    ['2028-03-01T00:00:00.000', '2028-03-01'],
    ['2026-04-30T23:59:59.999', '2026-04-30'],
    ['2026-05-01T00:00:00.000', '2026-05-01'],
    // year boundary
    ['2026-12-31T23:59:59.999', '2026-12-31'],
    ['2027-01-01T00:00:00.000', '2027-01-01'],
  ])('%s in Shanghai → China day %s', (wallClock, day) => {
    expect(chinaDay(shanghai(wallClock))).toBe(day);
  });

  test.each([
    ['2026-03-01T23:59:59.999', '2026-03-02T00:00:00.000'],
    ['2026-06-30T23:59:59.999', '2026-07-01T00:00:00.000'],
    ['2026-12-31T23:59:59.999', '2027-01-01T00:00:00.000'],
  ])('%s and %s are one millisecond apart and on different China days', (last, first) => {
    expect(shanghai(first).getTime() - shanghai(last).getTime()).toBe(1);
    expect(chinaDay(shanghai(last))).not.toBe(chinaDay(shanghai(first)));
  });
});

describe('chinaDay, literal UTC instants (China = UTC+8, no DST today)', () => {
  test.each([
    // [UTC instant, China day]
    ['2026-03-01T15:59:59.999Z', '2026-03-01'], // 23:59:59.999 in Shanghai
    ['2026-03-01T16:00:00.000Z', '2026-03-02'], // 00:00:00.000 in Shanghai
    ['2026-02-28T15:59:59.999Z', '2026-02-28'],
    ['2026-02-28T16:00:00.000Z', '2026-03-01'], // end of February → 1 March
    ['2028-02-28T16:00:00.000Z', '2028-02-29'], // leap day
    ['2028-02-29T16:00:00.000Z', '2028-03-01'],
    ['2026-12-31T15:59:59.999Z', '2026-12-31'],
    ['2026-12-31T16:00:00.000Z', '2027-01-01'], // New Year in China, still 31 Dec in UTC
    ['2027-01-01T00:00:00.000Z', '2027-01-01'],
    ['2026-03-01T00:00:00.000Z', '2026-03-01'], // 08:00 in Shanghai
    ['2026-02-28T23:59:59.999Z', '2026-03-01'], // still 28 Feb in UTC, already 1 March in China
  ])('%s → China day %s', (utc, day) => {
    expect(chinaDay(new Date(utc))).toBe(day);
  });

  test('the China day is independent of the process time zone', () => {
    // The same instant formats the same whatever TZ the process runs with; check against UTC+8.
    const at = new Date('2026-03-01T16:30:00.000Z');
    expect(chinaDay(at)).toBe(new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 10));
  });
});

describe('chinaDayStart', () => {
  test.each([
    // [China day, its first instant in UTC]
    ['2026-03-01', '2026-02-28T16:00:00.000Z'],
    ['2026-03-02', '2026-03-01T16:00:00.000Z'],
    ['2027-01-01', '2026-12-31T16:00:00.000Z'],
    ['2028-02-29', '2028-02-28T16:00:00.000Z'],
    ['2026-07-01', '2026-06-30T16:00:00.000Z'],
  ])('%s starts at %s', (day, utc) => {
    expect(chinaDayStart(day).toISOString()).toBe(utc);
    expect(chinaDayStart(day).getTime()).toBe(shanghai(`${day}T00:00:00.000`).getTime());
  });

  test.each(['2026-01-01', '2026-02-28', '2026-03-01', '2026-03-08', '2026-10-31', '2026-12-31', '2028-02-29', '2030-06-15'])(
    'round trip for %s: chinaDay(start) is the day, one ms before is the day before, the last ms is the same day',
    (day) => {
      const start = chinaDayStart(day);
      expect(chinaDay(start)).toBe(day);
      const previous = chinaDay(new Date(start.getTime() - 1));
      expect(chinaDayStart(previous).getTime()).toBeLessThan(start.getTime());
      expect(previous < day).toBe(true);
      const lastMs = shanghai(`${day}T23:59:59.999`);
      expect(chinaDay(lastMs)).toBe(day);
      // The next day starts right after the last millisecond of this one.
      const next = chinaDay(new Date(lastMs.getTime() + 1));
      expect(next > day).toBe(true);
      expect(chinaDayStart(next).getTime()).toBe(lastMs.getTime() + 1);
    },
  );

  test('every day of 2026 and 2028 round-trips and lasts 24 hours', () => {
    for (const year of [2026, 2028]) {
      let start = chinaDayStart(`${year}-01-01`);
      let days = 0;
      while (chinaDay(start).startsWith(String(year))) {
        const day = chinaDay(start);
        expect(chinaDayStart(day).getTime()).toBe(start.getTime());
        const next = chinaDayStart(chinaDay(new Date(start.getTime() + 86_400_000)));
        expect(next.getTime() - start.getTime()).toBe(86_400_000);
        start = next;
        days += 1;
      }
      expect(days).toBe(year === 2028 ? 366 : 365);
    }
  });
});

test('chinaDay answers what the zone formats, whichever instant was asked before (it keeps the last day it answered)', () => {
  // Back and forth across day edges, and through 1986-1991, when China kept summer time (its days
  // then began at UTC+9 for part of the year): the kept day must never answer for another.
  const DAY_MS = 86_400_000;
  const instants = [
    ...['2026-03-01', '2026-03-02', '2026-03-01', '1987-06-15', '1987-06-14', '1991-09-15', '1991-09-14'].flatMap((day) => {
      const start = chinaDayStart(day).getTime();
      return [start, start - 1, start + 1, start + DAY_MS - 1, start + DAY_MS, start - DAY_MS];
    }),
    ...Array.from({ length: 2_000 }, (_, i) => Date.UTC(1985, 0, 1) + ((i * 7_919) % 1_000) * 3 * DAY_MS + ((i * 104_729) % DAY_MS)),
  ];
  const answered = instants.map((ms) => chinaDay(new Date(ms)));
  expect(answered).toEqual(instants.map((ms) => formatInTimeZone(new Date(ms), SHANGHAI, 'yyyy-MM-dd')));
  expect(() => chinaDay(new Date(Number.NaN))).toThrow(RangeError);
});

test('systemClock.now() is the current time', () => {
  const before = Date.now();
  const now = systemClock.now().getTime();
  expect(now).toBeGreaterThanOrEqual(before);
  expect(now).toBeLessThanOrEqual(Date.now());
});
