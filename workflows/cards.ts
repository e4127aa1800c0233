/**
 * Delivers cards stored outside a payout workflow (a withdrawal's low-balance card: the withdrawal's
 * workflow starts this one as an abandoned child) with the same retries as a payout's cards: at
 * least 3 days with backoff, then kept and marked for an operator. The card is stored first, so the
 * recipient's list shows it whatever happens here.
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PayoutActivities } from '../activities/payout-activities';
import { DB_ACTIVITY, cardDeliveryOptions } from './activity-options';

export interface CardDeliveryInput {
  cardIds: string[];
  /** Scales the spacing of retries like the payouts' cards (activity-options.ts). */
  confirmWindowMs: number;
}

const db = proxyLocalActivities<PayoutActivities>(DB_ACTIVITY);

export async function cardDeliveryWorkflow({ cardIds, confirmWindowMs }: CardDeliveryInput): Promise<'DELIVERED' | 'UNDELIVERABLE'> {
  const cards = proxyActivities<PayoutActivities>(cardDeliveryOptions(confirmWindowMs));
  try {
    await cards.deliverCards(cardIds);
    return 'DELIVERED';
  } catch {
    await db.markCardsUndeliverable(cardIds);
    return 'UNDELIVERABLE';
  }
}
