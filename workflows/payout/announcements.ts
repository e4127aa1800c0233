/**
 * The payout's cards: stored by local activities and delivered by their own activity, retried for
 * days apart from the money (SPEC §5 "The edges"); the workflow ends once every delivery has ended.
 *
 * Since the `cards-stored-in-line` patch the workflow waits for each store before it goes on, and
 * an undeliverable card is marked by an ordinary activity. A local activity still running beside
 * other work can outlast its workflow task (the task's heartbeat sends what is done so far); a
 * decision arriving then is handled in the next task, while a replay hands the workflow the
 * store's result and the decision in one activation, so that the delivery the store starts and
 * the timer the decision cancels came out in the other order (TMPRL1100, the 2,000-payout chaos
 * run). With nothing running beside a local activity, both orders lead to the same commands.
 */
import { patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { CardMoment, PayoutActivities } from '../../activities/payout-activities';
import type { PayoutView } from '../../domain/payout';
import { DB_ACTIVITY, cardDeliveryOptions } from '../activity-options';

const db = proxyLocalActivities<PayoutActivities>(DB_ACTIVITY);

export const CARDS_STORED_IN_LINE_PATCH = 'cards-stored-in-line';

export interface Announcer {
  /** Delivers cards already stored (by the reservation, say). */
  deliver(ids: string[]): void;
  /**
   * Stores the cards of one moment of the payout, then delivers them with `alsoIds`. Answers the
   * store for the workflow to wait on; nothing in histories from before the patch, which stored
   * beside and must not wait even a microtask (their commands would come out in another order).
   */
  announce(payout: PayoutView, moment: CardMoment, alsoIds?: string[]): Promise<void> | undefined;
  /** Every delivery started so far, ended. */
  allDelivered(): Promise<unknown>;
}

export function announcer(confirmWindowMs: number): Announcer {
  const cards = proxyActivities<PayoutActivities>(cardDeliveryOptions(confirmWindowMs));
  const deliveries: Promise<unknown>[] = [];
  let inLine: boolean | undefined;
  const storedInLine = () => (inLine ??= patched(CARDS_STORED_IN_LINE_PATCH));
  const delivered = (ids: string[]) => cards.deliverCards(ids).catch(() => (storedInLine() ? cards : db).markCardsUndeliverable(ids));
  return {
    deliver(ids) {
      deliveries.push(delivered(ids));
    },
    announce(payout, moment, alsoIds = []) {
      if (storedInLine()) return db.storePayoutCards(payout, moment).then((ids) => void deliveries.push(delivered([...ids, ...alsoIds])));
      // One promise per moment, store then delivery, so that awaiting the deliveries awaits both.
      deliveries.push(db.storePayoutCards(payout, moment).then((ids) => delivered([...ids, ...alsoIds])));
      return undefined;
    },
    allDelivered: () => Promise.all(deliveries),
  };
}
