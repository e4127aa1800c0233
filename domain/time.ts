/**
 * SPEC §4.6: a day is a calendar day in China Standard Time. Computed with the IANA zone, never
 * with hand arithmetic, so that the rule survives any future change of the zone's rules.
 */
import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';

export const BUSINESS_TIME_ZONE = 'Asia/Shanghai';

/**
 * The China calendar day (`YYYY-MM-DD`) that the instant falls in. The last day asked for is kept
 * with its bounds, both from the zone (chinaDayStart): an instant between them is that day without
 * formatting it again (issue 18: the zone's formatter was a twentieth of the worker's CPU for a
 * payout's writes, which all ask for today).
 */
export function chinaDay(at: Date): string {
  const ms = at.getTime();
  if (lastDay && ms >= lastDay.fromMs && ms < lastDay.toMs) return lastDay.day;
  const day = formatInTimeZone(at, BUSINESS_TIME_ZONE, 'yyyy-MM-dd');
  lastDay = { day, fromMs: chinaDayStart(day).getTime(), toMs: chinaDayStart(shiftDay(day, 1)).getTime() };
  return day;
}

/** The China day chinaDay answered last, from its first instant up to the next day's first. */
let lastDay: { day: string; fromMs: number; toMs: number } | undefined;

/** The first instant of a China calendar day. */
export function chinaDayStart(day: string): Date {
  return fromZonedTime(`${day}T00:00:00`, BUSINESS_TIME_ZONE);
}

/** The China calendar day `days` after (or, negative, before) `day`; calendar arithmetic, no zone involved. */
export function shiftDay(day: string, days: number): string {
  const DAY_MS = 86_400_000;
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The source of "now" for everything that is not workflow code; tests inject another. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
