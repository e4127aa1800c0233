/** Cards built in more than one place. */
import type { Fen } from '../domain/money';
import type { Card } from '../db/notifications/cards';
import { lowBalanceCardId } from '../domain/card-ids';

/** The seller's low-balance alert: available fell below the threshold the seller set. */
export function lowBalanceCard(sellerId: string, movementKey: string, crossed: { available: Fen; threshold: Fen }): Card {
  return {
    dedupeKey: lowBalanceCardId(movementKey),
    recipientId: sellerId,
    recipientRole: 'seller',
    kind: 'LOW_BALANCE',
    payoutId: null,
    payload: { sellerId, available: crossed.available, threshold: crossed.threshold, reason: 'BELOW_THRESHOLD' },
  };
}

