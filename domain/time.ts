/**
 * SPEC §4.6: a day is a calendar day in China Standard Time. Computed with the IANA zone, never
 * with hand arithmetic, so that the rule survives any future change of the zone's rules.
 */
import { formatInTimeZone, fromZonedTime } from 'date-fns-tz';

export const BUSINESS_TIME_ZONE = 'Asia/Shanghai';

/** The China calendar day (`YYYY-MM-DD`) that the instant falls in. */
export function chinaDay(at: Date): string {
  return formatInTimeZone(at, BUSINESS_TIME_ZONE, 'yyyy-MM-dd');
}

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
