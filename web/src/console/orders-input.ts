/** Order numbers as the seller types or pastes them into the search. */
const ORDER_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Separated by spaces, commas (also the Chinese ones) or new lines; the malformed ones named apart. */
export function parseOrderIds(text: string): { ids: string[]; invalid: string[] } {
  const words = text.split(/[\s,，、]+/).filter(Boolean);
  return { ids: words.filter((w) => ORDER_ID_PATTERN.test(w)), invalid: words.filter((w) => !ORDER_ID_PATTERN.test(w)) };
}
