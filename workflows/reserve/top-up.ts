/**
 * One workflow per automatic top-up (SPEC §5), `top-up-<id>`: decide (the setting and the China
 * day's `dailyMax`, under the seller's lock), withhold through the provider under the top-up's key,
 * then credit the reserve or, refused, turn auto top-up off; the seller's card goes out apart from
 * the money. Its id derives from the crossing that opened it, and crossings that meet while it is
 * open join it (db/reserve/top-ups.ts), so concurrent crossings make one top-up and one workflow.
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { PayoutActivities } from '../../activities/payout-activities';
import type { TopUpActivities } from '../../activities/top-up-activities';
import type { TopUpStatus } from '../../db/reserve/top-up-entities';
import { DB_ACTIVITY, RAIL_ACTIVITY, cardDeliveryOptions } from '../activity-options';

export interface TopUpInput {
  topUpId: string;
  sellerId: string;
  /** Scales the spacing of the card's delivery retries like the payouts' cards. */
  confirmWindowMs: number;
}

const db = proxyLocalActivities<TopUpActivities & PayoutActivities>(DB_ACTIVITY);
const rail = proxyActivities<TopUpActivities>(RAIL_ACTIVITY);

export async function topUpWorkflow({ topUpId, confirmWindowMs }: TopUpInput): Promise<{ status: TopUpStatus }> {
  const decision = await db.decideTopUp(topUpId);
  // Settled by an earlier run under the same id: nothing is moved or sent again.
  if (decision.kind === 'settled') return { status: decision.status };
  let status: TopUpStatus = 'SKIPPED';
  if (decision.kind === 'withhold') {
    const outcome = await rail.withholdTopUp(topUpId, decision.sellerId, decision.amountFen);
    if (outcome.status === 'SUCCEEDED') {
      await db.creditTopUp(topUpId);
      status = 'DONE';
    } else {
      await db.refuseTopUp(topUpId, outcome.code);
      status = 'REFUSED';
    }
  }
  const cardIds = await db.storeTopUpCard(topUpId);
  if (cardIds.length > 0) {
    const cards = proxyActivities<PayoutActivities>(cardDeliveryOptions(confirmWindowMs));
    await cards.deliverCards(cardIds).catch(() => db.markCardsUndeliverable(cardIds));
  }
  return { status };
}
