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

/** A payout's moments that make cards; `approval`: the seller's card that a sub-account's payout waits for the main account. */
export type CardMoment = 'sent' | 'reminder' | 'outcome' | 'approval';

/** The cards one moment of a payout may make, by recipient (the outcome's buyer card only when the buyer may see the payout). */
export function payoutCardId(payoutId: string, moment: CardMoment, recipient: 'buyer' | 'seller' = moment === 'approval' ? 'seller' : 'buyer'): string {
  return moment === 'outcome' ? `outcome:${payoutId}:${recipient}` : `${moment}:${payoutId}`;
}

/** Every id one moment of a payout may have stored: what its delivery marks when its retries end. */
export function payoutCardIds(payoutId: string, moment: CardMoment): string[] {
  return moment === 'outcome' ? [payoutCardId(payoutId, moment, 'buyer'), payoutCardId(payoutId, moment, 'seller')] : [payoutCardId(payoutId, moment)];
}
