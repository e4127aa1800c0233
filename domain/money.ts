/**
 * Money is an integer number of fen (1/100 CNY) everywhere. These helpers assert that, so that a
 * float or an unsafe integer is caught where it enters, not where it is summed.
 */
export type Fen = number;

/** The largest amount the service stores in one field; far above any cap, far below 2^53. */
export const AMOUNT_FEN_MAX = 1_000_000_000_000;

export function isFen(value: unknown): value is Fen {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= AMOUNT_FEN_MAX;
}

/** Programmer-error check: a value that reached here must already be valid fen. */
export function assertFen(value: unknown, name: string): asserts value is Fen {
  if (!isFen(value)) throw new TypeError(`${name} must be a non-negative safe integer of fen, got ${String(value)}`);
}

/** Formats fen as yuan with two decimals, for human-facing text only (cards, CSV). */
export function formatYuan(amountFen: Fen): string {
  const sign = amountFen < 0 ? '-' : '';
  const abs = Math.abs(amountFen);
  const yuan = Math.floor(abs / 100);
  const fen = abs % 100;
  return `${sign}${yuan}.${fen.toString().padStart(2, '0')}`;
}
