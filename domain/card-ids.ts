/**
 * The ids of cards (their dedupe keys) that one step stores and another delivers. Pure, so that
 * the payout workflow names the cards its delivery activity takes.
 */

/** The low-balance card a movement (`hold:<payoutId>`, a withdrawal) may have stored. */
export function lowBalanceCardId(movementKey: string): string {
  return `low-balance:${movementKey}`;
}

/** The card telling the seller a payout was refused for INSUFFICIENT_RESERVE. */
export function lowReserveCardId(payoutId: string): string {
  return `low-reserve:${payoutId}`;
}

/** The low-balance card a payout's hold may have stored. */
export function holdLowBalanceCardId(payoutId: string): string {
  return lowBalanceCardId(`hold:${payoutId}`);
}
