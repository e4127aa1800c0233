/**
 * Which generation of the payout workflow a run belongs to, by the patch marker its history holds
 * (README, "Changing a workflow"). Asked once per run, at its first card: a new run records the
 * newest marker only; a replay finds the marker its history holds, or none.
 *
 * - `byActivity`, since `cards-and-deadlines-by-activity`: whatever a timer may decide (a moment's
 *   cards, the release at a deadline) is an ordinary activity, and so is every card. Only a workflow
 *   task that completed schedules an activity, while a local activity runs in the worker before its
 *   task completes: one whose task timed out (a worker starved of CPU) still commits, though the
 *   attempt that counts may decide otherwise. The 2,000-payout chaos run showed it: the reminder's
 *   timer and a seller's cancel reached one task; the attempt that timed out saw the timer alone and
 *   stored the reminder card (REMINDED on the timeline), the counted one took the cancel first, and
 *   nothing ever delivered the card. A deadline's release would lose a decision the same way.
 * - `inLine`, since `cards-stored-in-line`: a local activity stores each moment's cards and the
 *   workflow waits for it; an ordinary activity delivers them.
 * - `beside`, before both: the store ran beside the workflow's other work (README, "Local
 *   activities run alone", for why that broke a replay).
 */
import { patched } from '@temporalio/workflow';

export const CARDS_STORED_IN_LINE_PATCH = 'cards-stored-in-line';
export const BY_ACTIVITY_PATCH = 'cards-and-deadlines-by-activity';

export type PayoutVersion = 'byActivity' | 'inLine' | 'beside';

export function payoutVersionOnce(): () => PayoutVersion {
  let version: PayoutVersion | undefined;
  return () => (version ??= patched(BY_ACTIVITY_PATCH) ? 'byActivity' : patched(CARDS_STORED_IN_LINE_PATCH) ? 'inLine' : 'beside');
}
