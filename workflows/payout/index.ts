/**
 * One durable workflow per payout (SPEC §5): reserve → (when the seller's policy asks for it, wait
 * for the main account's approval) → notify the buyer → wait for confirm / decline / cancel until
 * the deadline, with a reminder before it → transfer and post, or release.
 *
 * The API starts it with update-with-start: the `reserve` update holds the money and answers the
 * caller synchronously with the payout or the SPEC code of the refusal. Decisions arrive as
 * updates whose validators refuse them once the payout left the state they need (decisions.ts).
 * A payout that needs no approval runs the very commands it ran before approval existed, so that
 * histories recorded before it still replay.
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import { ActivityFailure, ApplicationFailure, proxyLocalActivities } from '@temporalio/workflow';
import type { PayoutActivities } from '../../activities/payout-activities';
import type { PayoutStatus, PayoutWorkflowInput } from '../../domain/payout';
import { holdLowBalanceCardId, lowReserveCardId } from '../../domain/card-ids';
import { DB_ACTIVITY } from '../activity-options';
import { announcer } from './announcements';
import { adoptReservation, trackDecisions } from './decisions';
import { payoutSteps, setStatus } from './steps';
import { payoutVersionOnce } from './versions';
import { askTopUp, askTopUpAfterRefusal } from '../reserve/ask-top-up';

export * from './messages';

const db = proxyLocalActivities<PayoutActivities>(DB_ACTIVITY);

/** A refused reservation ends the workflow with the refusal, so that a late caller can still learn it. */
export type PayoutWorkflowResult =
  | { status: PayoutStatus }
  | { status: 'REFUSED'; code: string; message: string; details: Record<string, unknown> };

export async function payoutWorkflow(input: PayoutWorkflowInput): Promise<PayoutWorkflowResult> {
  // The workflow reserves whether or not an update ever arrives, so a start whose update was lost
  // (Temporal restarting, a worker killed) still reserves; the caller sees the refusal itself (its
  // SPEC code), not the activity failure around it.
  // The top-up a crossing hold asked for stays in the workflow: callers see the payout alone.
  let topUpId: string | undefined;
  // The buyer's card the hold stored (since issue 18): then only delivered. Read from the
  // reservation's recorded result, so that a replay takes the path its run took.
  let sentCards: string[] | undefined;
  const reservation = db.reservePayout(input, input.confirmWindowMs).then(({ topUpId: asked, storedCards, ...view }) => {
    topUpId = asked;
    sentCards = storedCards;
    return view;
  }, (err) => {
    throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
  });
  const version = payoutVersionOnce();
  const cards = announcer(input.confirmWindowMs, version);
  const state = trackDecisions(input.payoutId, reservation, input.idempotency?.requestHash);
  const steps = payoutSteps(input, state, cards, version);

  try {
    adoptReservation(state, await reservation);
  } catch (err) {
    if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
    state.refusedCode = err.type ?? 'REFUSED';
    setStatus('REFUSED');
    if (err.type === 'INSUFFICIENT_RESERVE') {
      cards.deliver([lowReserveCardId(input.payoutId)]);
      await askTopUpAfterRefusal(input.sellerId, input.payoutId, input.confirmWindowMs);
    }
    await cards.allDelivered();
    return { status: 'REFUSED', code: state.refusedCode, message: err.message, details: (err.details?.[0] ?? {}) as Record<string, unknown> };
  }
  const reserved = state.view!;
  setStatus(reserved.status);
  if (topUpId) await askTopUp(input.sellerId, topUpId, input.confirmWindowMs);
  // The hold may have stored the seller's low-balance card; its delivery starts here, off the money path.
  if (reserved.status === 'PENDING_APPROVAL') {
    // The buyer hears nothing until the main account approves (SPEC §5 maker-checker).
    const storing = cards.announce(reserved, 'approval', [holdLowBalanceCardId(input.payoutId)]);
    if (storing) await storing;
    await steps.awaitApproval(reserved);
    await steps.settleApproval(state.verdict!);
    if (state.view!.status === 'AWAITING_CONFIRMATION') {
      const storing = cards.announce(state.view!, 'sent');
      if (storing) await storing;
    }
  } else {
    const storing = cards.announce(reserved, 'sent', [holdLowBalanceCardId(input.payoutId)], sentCards);
    if (storing) await storing;
  }
  if (state.view!.status === 'AWAITING_CONFIRMATION') await steps.awaitVerdict(state.view!);
  if (state.verdict) await steps.settle(state.verdict);
  const storing = steps.announceOutcome();
  if (storing) await storing;
  await cards.allDelivered();
  return { status: state.view!.status };
}
