/**
 * The payout workflow's waits and the money each verdict calls for. The server, not a cron, ends
 * each wait on time: the approval deadline, then the buyer's reminder and deadline.
 */
import { condition, patched, proxyActivities, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { PayoutActivities } from '../../activities/payout-activities';
import type { WrittenPayout } from '../../db/payouts/payouts';
import { SYSTEM_ACTOR, type PayoutStatus, type PayoutView, type PayoutWorkflowInput } from '../../domain/payout';
import { DB_ACTIVITY, DB_TASK_ACTIVITY, RAIL_ACTIVITY } from '../activity-options';
import { PAYOUT_STATUS_KEY } from '../search-attributes';
import type { Announcer } from './announcements';
import type { DecisionState, Verdict } from './decisions';
import type { PayoutVersion } from './versions';

const db = proxyLocalActivities<PayoutActivities>(DB_ACTIVITY);
const rail = proxyActivities<PayoutActivities>(RAIL_ACTIVITY);
const dbTask = proxyActivities<PayoutActivities>(DB_TASK_ACTIVITY);

/**
 * A deadline found already past (a workflow task that ran late: a worker starved of CPU, a long
 * reservation) is still waited for with a timer of a millisecond, so that a decision Temporal
 * received while that task ran, which history holds only after it, is read before the payout
 * expires; the signal's hand-over time says whether it came in time. Asked only on that path, so
 * that no other run records the marker. The 2,000-payout chaos run lost a seller's cancel handed
 * over 0.8 s before the deadline that way.
 */
export const DEADLINE_READS_HISTORY_PATCH = 'deadline-reads-history';

/** Waits until `untilMs` from now for a verdict; true when one came first. */
async function verdictWithin(state: DecisionState, untilMs: number): Promise<boolean> {
  if (untilMs <= 0 && !patched(DEADLINE_READS_HISTORY_PATCH)) return false;
  return condition(() => state.verdict !== undefined, Math.max(untilMs, 1));
}

/** The reminder goes out this share of the window before the deadline: 24 h of the default 3 days. */
const REMINDER_LEAD_SHARE = 1 / 3;

export function setStatus(next: PayoutStatus | 'REFUSED'): void {
  upsertSearchAttributes([{ key: PAYOUT_STATUS_KEY, value: next }]);
}

export function payoutSteps(input: PayoutWorkflowInput, state: DecisionState, cards: Announcer, version: () => PayoutVersion) {
  /**
   * The release a deadline decides: an ordinary activity in new runs, so that a workflow task that
   * timed out after its timer fired cannot release a payout whose decision the counted task took
   * first (versions.ts); a local activity in runs from before.
   */
  const releaseAtDeadline = (...args: Parameters<PayoutActivities['releasePayout']>) =>
    (version() === 'byActivity' ? dbTask : db).releasePayout(...args);

  /**
   * The outcome's cards that the posting or the release stored with it (issue 18: a commit fewer);
   * none from a write that changed nothing (a replay) or from a worker from before, whose outcome
   * is then stored as any moment's (Announcer.announce).
   */
  let outcomeCards: string[] | undefined;

  /** A write's payout, the cards it stored kept apart: callers see the payout alone. */
  function written({ storedCards, ...view }: WrittenPayout): PayoutView {
    outcomeCards = storedCards;
    return view;
  }

  /** SPEC §5 maker-checker: waits for the main account until the approval deadline. */
  async function awaitApproval(pending: PayoutView): Promise<void> {
    if (await verdictWithin(state, Date.parse(pending.approvalExpiresAt!) - Date.now())) return;
    state.verdict ??= { kind: 'expire', atMs: Date.now() };
  }

  /**
   * Records the approval (the buyer's window starts) or releases the hold. An approval that loses
   * to an order change recorded first in the database leaves the payout pending: the system cancels
   * it. What arrived while the approval was recorded becomes the verdict of the buyer's wait.
   */
  async function settleApproval(decided: Verdict): Promise<void> {
    if (decided.kind === 'approve') {
      state.view = await db.approvePayout(input.payoutId, decided.actor, decided.atMs, input.confirmWindowMs);
      if (state.view.status === 'PENDING_APPROVAL') state.view = written(await db.releasePayout(state.view, 'CANCELLED', SYSTEM_ACTOR, Date.now()));
      state.verdict = state.view.status === 'AWAITING_CONFIRMATION' ? state.carried : undefined;
    } else {
      const actor = 'actor' in decided ? decided.actor : SYSTEM_ACTOR;
      state.view = written(decided.kind === 'reject' ? await db.releasePayout(state.view!, 'REJECTED', actor, decided.atMs)
        : decided.kind === 'expire' ? await releaseAtDeadline(state.view!, 'REJECTED', SYSTEM_ACTOR, decided.atMs, 'APPROVAL_EXPIRED')
          : await db.releasePayout(state.view!, 'CANCELLED', actor, decided.atMs));
      state.verdict = undefined;
    }
    setStatus(state.view.status);
  }

  /** Waits for the buyer's (or the seller's) decision until the deadline, reminding the buyer before it. */
  async function awaitVerdict(awaiting: PayoutView): Promise<void> {
    const expiresAtMs = Date.parse(awaiting.expiresAt!);
    const lead = Math.floor(input.confirmWindowMs * REMINDER_LEAD_SHARE);
    const untilReminder = expiresAtMs - lead - Date.now();
    if (untilReminder > 0 && (await condition(() => state.verdict !== undefined, untilReminder))) return;
    if (state.verdict === undefined) {
      state.reminded = true;
      const storing = cards.announce(awaiting, 'reminder');
      if (storing) await storing;
    }
    if (await verdictWithin(state, expiresAtMs - Date.now())) return;
    state.verdict ??= { kind: 'expire', atMs: Date.now() };
  }

  /** Moves the money the buyer's verdict calls for and records the end state. */
  async function settle(decided: Verdict): Promise<void> {
    if (decided.kind === 'confirm') {
      state.view = await db.markConfirmed(input.payoutId, decided.actor, decided.atMs, state.view);
      // Still awaiting: the order changed before the confirmation was recorded, and cancels it.
      if (state.view.status === 'AWAITING_CONFIRMATION') state.view = written(await db.releasePayout(state.view, 'CANCELLED', SYSTEM_ACTOR, Date.now()));
    }
    const view = state.view!;
    if (view.status === 'CONFIRMED') {
      setStatus(view.status);
      const transfer = await rail.transferPayout(view);
      state.view = written(transfer.status === 'SUCCEEDED'
        ? await db.postPayout(view, transfer.transactionId ?? null)
        : await db.releasePayout(view, 'FAILED', null, Date.now()));
    } else if (decided.kind !== 'confirm') {
      const end = ({ decline: 'DECLINED', cancel: 'CANCELLED', expire: 'EXPIRED', orderChanged: 'CANCELLED' } as const)[decided.kind as 'decline' | 'cancel' | 'expire' | 'orderChanged'];
      const release = decided.kind === 'expire' ? releaseAtDeadline : db.releasePayout;
      state.view = written(await release(view, end, 'actor' in decided ? decided.actor : SYSTEM_ACTOR, decided.atMs));
    }
    setStatus(state.view!.status);
  }

  /** The outcome's cards to their recipients (stored with the write that made the outcome, when it did). */
  function announceOutcome(): Promise<void> | undefined {
    return cards.announce(state.view!, 'outcome', [], outcomeCards);
  }

  return { awaitApproval, settleApproval, awaitVerdict, settle, announceOutcome };
}
