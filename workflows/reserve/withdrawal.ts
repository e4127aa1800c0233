/**
 * One workflow per withdrawal (SPEC §3), `withdrawal-<id>`: debit available first (so a payout
 * racing the withdrawal cannot spend the same fen; the balance is checked there and only there),
 * then have the provider pay it back under the withdrawal's key. A pay-back refused for good voids
 * the debit (WITHDRAWAL_VOID) and ends with PROVIDER_REFUSED; a provider that does not answer is
 * retried until it does, so a crash or a long outage between the debit and the pay-back can no
 * longer leave the ledger and the provider disagreeing. Once paid, the seller's low-balance card
 * (when the withdrawal crossed the alert threshold) is stored and its delivery started apart.
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, proxyActivities, proxyLocalActivities, startChild } from '@temporalio/workflow';
import type { ReserveActivities } from '../../activities/reserve-activities';
import { DB_ACTIVITY, MOVEMENT_RAIL_ACTIVITY } from '../activity-options';
import { cardDeliveryWorkflow } from '../cards';
import { refusalOf, refused, type MovementInput, type MovementResult } from './movements';

export interface WithdrawalInput extends MovementInput {
  withdrawalId: string;
  /** Scales the spacing of the low-balance card's delivery retries like the payouts' cards. */
  confirmWindowMs: number;
}

const db = proxyLocalActivities<ReserveActivities>(DB_ACTIVITY);
const rail = proxyActivities<ReserveActivities>(MOVEMENT_RAIL_ACTIVITY);

export async function withdrawalWorkflow({ withdrawalId, sellerId, amountFen, confirmWindowMs }: WithdrawalInput): Promise<MovementResult> {
  let movementKey: string;
  try {
    movementKey = await db.debitWithdrawal(withdrawalId, sellerId, amountFen);
  } catch (err) {
    // INSUFFICIENT_RESERVE or AGREEMENT_REQUIRED: nothing was debited.
    const refusal = refusalOf(err);
    if (!refusal) throw err;
    return refusal;
  }
  const paid = await rail.payBackWithdrawal(withdrawalId, sellerId, amountFen);
  if (paid.status === 'REFUSED') {
    await db.voidWithdrawal(withdrawalId, sellerId, amountFen);
    return refused('PROVIDER_REFUSED', `the payment provider refused the pay-back (${paid.code}); the amount is available again`, { providerCode: paid.code });
  }
  await alertLowBalance(withdrawalId, sellerId, confirmWindowMs);
  return { status: 'DONE', movementKey };
}

/**
 * The low-balance card, its own step after the money: stored, then handed to a card delivery
 * workflow (`cards-<card id>`) started as an abandoned child, so that its retries (days, when the
 * webhook is down) never hold up the withdrawal's answer.
 */
async function alertLowBalance(withdrawalId: string, sellerId: string, confirmWindowMs: number): Promise<void> {
  const cardIds = await db.storeWithdrawalLowBalanceCard(withdrawalId, sellerId);
  if (cardIds.length === 0) return;
  try {
    await startChild(cardDeliveryWorkflow, {
      workflowId: `cards-${cardIds[0]}`,
      args: [{ cardIds, confirmWindowMs }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
