/**
 * The payout's cards: stored and delivered apart from the money, retried for days (SPEC §5 "The
 * edges"); the workflow ends once every delivery has ended. How depends on the run's generation
 * (versions.ts): one ordinary activity per moment in new runs; a local activity's store, then a
 * delivery activity, in older ones.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CardMoment, PayoutActivities } from '../../activities/payout-activities';
import type { PayoutView } from '../../domain/payout';
import { payoutCardIds } from '../../domain/card-ids';
import { DB_ACTIVITY, cardDeliveryOptions } from '../activity-options';
import type { PayoutVersion } from './versions';

const db = proxyLocalActivities<PayoutActivities>(DB_ACTIVITY);

export interface Announcer {
  /** Delivers cards already stored (the low-reserve alert a refused reservation recorded, say). */
  deliver(ids: string[]): void;
  /**
   * Announces one moment of the payout: its cards stored and delivered with `alsoIds`. Answers
   * the store for the workflow to wait on in `inLine` runs only; nothing in the others (`beside`
   * runs must not wait even a microtask: their commands would come out in another order).
   * `stored`: the moment's cards as the write that made the moment stored them (issue 18), read
   * from its recorded result; runs that announce by activity then only deliver them, older runs
   * store them again as they always did (the first rows stay), so each replays its own commands.
   */
  announce(payout: PayoutView, moment: CardMoment, alsoIds?: string[], stored?: string[]): Promise<void> | undefined;
  /** Every delivery started so far, ended. */
  allDelivered(): Promise<unknown>;
}

export function announcer(confirmWindowMs: number, version: () => PayoutVersion): Announcer {
  const cards = proxyActivities<PayoutActivities>(cardDeliveryOptions(confirmWindowMs));
  const deliveries: Promise<unknown>[] = [];
  const undeliverable = (ids: string[]) => (version() === 'beside' ? db : cards).markCardsUndeliverable(ids);
  const delivered = (ids: string[]) => cards.deliverCards(ids).catch(() => undeliverable(ids));
  const deliver = (ids: string[]) => void deliveries.push(delivered(ids));
  return {
    deliver,
    announce(payout, moment, alsoIds = [], stored) {
      const path = version();
      if (path === 'byActivity' && stored) return deliver([...stored, ...alsoIds]);
      if (path === 'byActivity') {
        // The moment's time on the timeline is the workflow's, when it announced it: not when a worker took the activity.
        const ids = [...payoutCardIds(payout.id, moment), ...alsoIds];
        deliveries.push(cards.announceCards(payout, moment, alsoIds, Date.now()).catch(() => undeliverable(ids)));
        return undefined;
      }
      if (path === 'inLine') return db.storePayoutCards(payout, moment).then((ids) => void deliveries.push(delivered([...ids, ...alsoIds])));
      // One promise per moment, store then delivery, so that awaiting the deliveries awaits both.
      deliveries.push(db.storePayoutCards(payout, moment).then((ids) => delivered([...ids, ...alsoIds])));
      return undefined;
    },
    allDelivered: () => Promise.all(deliveries),
  };
}
