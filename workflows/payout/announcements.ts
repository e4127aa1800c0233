/**
 * The payout's cards: stored by local activities and delivered by their own activity, retried for
 * days apart from the money (SPEC §5 "The edges"); the workflow ends once every delivery has ended.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CardMoment, PayoutActivities } from '../../activities/payout-activities';
import type { PayoutView } from '../../domain/payout';
import { DB_ACTIVITY, cardDeliveryOptions } from '../activity-options';

const db = proxyLocalActivities<PayoutActivities>(DB_ACTIVITY);

export interface Announcer {
  /** Delivers cards already stored (by the reservation, say). */
  deliver(ids: string[]): void;
  /** Stores the cards of one moment of the payout, then delivers them with `alsoIds`. */
  announce(payout: PayoutView, moment: CardMoment, alsoIds?: string[]): void;
  /** Every delivery started so far, ended. */
  allDelivered(): Promise<unknown>;
}

export function announcer(confirmWindowMs: number): Announcer {
  const cards = proxyActivities<PayoutActivities>(cardDeliveryOptions(confirmWindowMs));
  const deliveries: Promise<unknown>[] = [];
  const delivered = (ids: string[]) => cards.deliverCards(ids).catch(() => db.markCardsUndeliverable(ids));
  return {
    deliver(ids) {
      deliveries.push(delivered(ids));
    },
    // One promise per moment, store then delivery, so that awaiting the deliveries awaits both.
    announce(payout, moment, alsoIds = []) {
      deliveries.push(db.storePayoutCards(payout, moment).then((ids) => delivered([...ids, ...alsoIds])));
    },
    allDelivered: () => Promise.all(deliveries),
  };
}
