/**
 * Money on the pages: the API speaks integer fen, people read and type yuan with two decimals.
 * Both directions work on the digits as text and integers, never through a float, so ¥0.29 is
 * 29 fen and not 28.999….
 */

/** The largest amount the API accepts in one field (openapi.yaml's Fen maximum). */
export const AMOUNT_FEN_MAX = 1_000_000_000_000;

/** 4500 → "¥45.00"; 123456789 → "¥1,234,567.89". */
export function formatYuan(amountFen: number): string {
  if (!Number.isSafeInteger(amountFen)) return '—';
  const sign = amountFen < 0 ? '-' : '';
  const digits = String(Math.abs(amountFen)).padStart(3, '0');
  const yuan = digits.slice(0, -2).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}¥${yuan}.${digits.slice(-2)}`;
}

const YUAN_PATTERN = /^(\d{1,10})(?:\.(\d{1,2}))?$/;

/** "15" / "15.5" / "15.00" → 1500 / 1550 / 1500; anything else (more decimals, signs, letters) → null. */
export function parseYuan(text: string): number | null {
  const match = YUAN_PATTERN.exec(text.trim().replace(/^¥/, '').replace(/,/g, ''));
  if (!match) return null;
  const fen = Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  return Number.isSafeInteger(fen) && fen <= AMOUNT_FEN_MAX ? fen : null;
}

/** Fen as the plain yuan text a form field starts with: 4500 → "45.00". */
export function yuanInput(amountFen: number): string {
  return formatYuan(amountFen).replace(/^¥/, '').replace(/,/g, '');
}
