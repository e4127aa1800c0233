/**
 * The one parser of date query parameters (`createdFrom`, `createdTo`; the list, the export and the
 * summary — and any statement filter by date — use it): an RFC 3339 date-time that names a real
 * instant the database can hold, or 400 `VALIDATION_ERROR`. `new Date(text)` is not enough: it rolls
 * 30 February over into March, takes 24:00, and turns a leap second (`23:59:60`, which the schema's
 * date-time format allows) into an Invalid Date that later throws a RangeError.
 */
import { DomainError } from '../domain/errors';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;
/** DATETIME holds years 1000 to 9999; outside them a bound could not be compared. */
const INSTANT_MIN_MS = Date.UTC(1000, 0, 1);
const INSTANT_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** The instant `text` names; undefined when absent; 400 naming `query.<name>` when it names none. */
export function instantParam(text: string | undefined, name: string): Date | undefined {
  if (text === undefined) return undefined;
  const ms = parseInstantMs(text);
  if (ms === null) throw new DomainError('VALIDATION_ERROR', `${name} must be an RFC 3339 date-time of a real instant, e.g. 2026-06-30T16:00:00Z`, { field: `query.${name}` });
  if (ms < INSTANT_MIN_MS || ms > INSTANT_MAX_MS) {
    throw new DomainError('VALIDATION_ERROR', `${name} must lie between the years 1000 and 9999`, { field: `query.${name}` });
  }
  return new Date(ms);
}

/** Milliseconds since the epoch, or null when a field is out of its calendar range. */
function parseInstantMs(text: string): number | null {
  const match = RFC3339.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const fractionMs = match[7] ? Math.floor(Number(`0${match[7]}`) * 1000) : 0;
  const [sign, offsetHour, offsetMinute] = [match[8], Number(match[9] ?? 0), Number(match[10] ?? 0)];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || offsetHour > 23 || offsetMinute > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, fractionMs);
  // The day must exist in its month: Date.UTC would roll 2024-02-30 over to 1 March.
  if (new Date(local).getUTCDate() !== day) return null;
  const offsetMs = (offsetHour * 60 + offsetMinute) * 60_000 * (sign === '-' ? -1 : 1);
  return local - offsetMs;
}
