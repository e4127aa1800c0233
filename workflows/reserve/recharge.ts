/**
 * One workflow per recharge (SPEC §3), `recharge-<id>`: withhold through the provider under the
 * recharge's key, then credit available under the same key; a withholding refused for good ends
 * it with PROVIDER_REFUSED and nothing credited. A provider that does not answer is retried until
 * it does, however long the API waited: the seller's retry with the same Idempotency-Key joins this
 * workflow and gets its result, and the money is withheld and credited once.
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ReserveActivities } from '../../activities/reserve-activities';
import { DB_ACTIVITY, MOVEMENT_RAIL_ACTIVITY } from '../activity-options';
import { refused, type MovementInput, type MovementResult } from './movements';

export interface RechargeInput extends MovementInput {
  rechargeId: string;
}

const db = proxyLocalActivities<ReserveActivities>(DB_ACTIVITY);
const rail = proxyActivities<ReserveActivities>(MOVEMENT_RAIL_ACTIVITY);

export async function rechargeWorkflow({ rechargeId, sellerId, amountFen }: RechargeInput): Promise<MovementResult> {
  const withheld = await rail.withholdRecharge(rechargeId, sellerId, amountFen);
  if (withheld.status === 'REFUSED') {
    return refused('PROVIDER_REFUSED', `the payment provider refused the withholding (${withheld.code})`, { providerCode: withheld.code });
  }
  const movementKey = await db.creditRecharge(rechargeId, sellerId, amountFen);
  return { status: 'DONE', movementKey };
}
