/**
 * The benchmark's ceiling (issue 8): a workflow of the payout workflow's shape whose activities do
 * nothing, so that `npm run bench` can tell how close the product comes to what Temporal alone
 * allows on the same machine. It is no part of the product: its own bundle (bench/ceiling-bundle.ts)
 * runs on the ceiling's worker only.
 *
 * Same shape as the payout workflow (workflows/payout/), step for step: started with update-with-start, the workflow reserving
 * at once and the `reserve` update observing that reservation; the six activities of a paid payout
 * (reserve, notify sent, mark confirmed, transfer, post, notify outcome) with the same options
 * (activity-options.ts: timeouts, retries, the database ones local); the same timers (reminder, deadline), search-attribute upserts and confirm update
 * whose validator refuses a second decision; the same patch marker, asked at the first card as the
 * payout workflow asks its version (workflows/payout/versions.ts), with the TemporalChangeVersion
 * upsert the SDK records beside it. When the payout gains or loses a step on the paid path,
 * this file must follow, or the ratio the benchmark reports stops meaning anything.
 *
 * Only the paid path is mirrored: the benchmark confirms every payout, so a deadline that passes
 * closes the ceiling without an activity (the product would release the hold there).
 */
import { ApplicationFailure, condition, defineUpdate, patched, proxyActivities, proxyLocalActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { PayoutStatus, PayoutView, PayoutWorkflowInput } from '../domain/payout';
import { DB_ACTIVITY, RAIL_ACTIVITY, cardDeliveryOptions } from '../workflows/activity-options';
import { BY_ACTIVITY_PATCH } from '../workflows/payout/versions';
import { PAYOUT_STATUS_KEY } from '../workflows/search-attributes';

/** What the ceiling's worker registers; the benchmark implements every one as a no-op. */
export interface CeilingActivities {
  reserve(input: PayoutWorkflowInput): Promise<PayoutView>;
  notifySent(view: PayoutView): Promise<void>;
  markConfirmed(view: PayoutView, atMs: number): Promise<PayoutView>;
  transfer(view: PayoutView): Promise<{ status: 'SUCCEEDED' }>;
  post(view: PayoutView): Promise<PayoutView>;
  notifyOutcome(view: PayoutView): Promise<void>;
}

/** The product's start options (api/payout-gateway.ts) under the ceiling's own ids: both doors start identical executions. */
export const ceilingWorkflowId = (payoutId: string) => `ceiling-${payoutId}`;

export const ceilingReserveUpdate = defineUpdate<PayoutView>('reserve');
export const ceilingConfirmUpdate = defineUpdate<PayoutView, [{ actor: string }]>('confirm');

// The same options as the payout workflow's proxies, so that both workflows schedule identical activities.
const db = proxyLocalActivities<CeilingActivities>(DB_ACTIVITY);
const rail = proxyActivities<CeilingActivities>(RAIL_ACTIVITY);

const REMINDER_LEAD_SHARE = 1 / 3;

export async function ceilingWorkflow(input: PayoutWorkflowInput): Promise<{ status: PayoutStatus }> {
  // As the payout's card deliveries, whose retry spacing follows the confirmation window.
  const cards = proxyActivities<CeilingActivities>(cardDeliveryOptions(input.confirmWindowMs));
  const reservation = db.reserve(input);
  let view: PayoutView | undefined;
  let confirmedAtMs: number | undefined;

  setHandler(ceilingReserveUpdate, () => reservation);
  setHandler(
    ceilingConfirmUpdate,
    async (_decision: { actor: string }) => {
      confirmedAtMs = Date.now();
      await condition(() => view?.status !== 'AWAITING_CONFIRMATION');
      return view!;
    },
    {
      validator: (_decision: { actor: string }) => {
        if (view?.status !== 'AWAITING_CONFIRMATION' || confirmedAtMs !== undefined) {
          throw ApplicationFailure.nonRetryable(`ceiling ${input.payoutId} is not awaiting confirmation`, 'PAYOUT_NOT_AWAITING_CONFIRMATION');
        }
      },
    },
  );

  view = await reservation;
  setStatus(view.status);
  // The payout asks its version at its first card: a new run records the newest patch's marker.
  patched(BY_ACTIVITY_PATCH);
  const notifications = [cards.notifySent(view)];
  await awaitConfirmation(Date.parse(view.expiresAt!));
  if (confirmedAtMs === undefined) {
    view = { ...view, status: 'EXPIRED' };
  } else {
    view = await db.markConfirmed(view, confirmedAtMs);
    setStatus(view.status);
    await rail.transfer(view);
    view = await db.post(view);
  }
  setStatus(view.status);
  notifications.push(cards.notifyOutcome(view));
  await Promise.all(notifications);
  return { status: view.status };

  /** The same two timers as the payout's wait: the reminder's, then the deadline's. */
  async function awaitConfirmation(expiresAtMs: number): Promise<void> {
    const untilReminder = expiresAtMs - Math.floor(input.confirmWindowMs * REMINDER_LEAD_SHARE) - Date.now();
    if (untilReminder > 0 && (await condition(() => confirmedAtMs !== undefined, untilReminder))) return;
    const untilDeadline = expiresAtMs - Date.now();
    if (untilDeadline > 0) await condition(() => confirmedAtMs !== undefined, untilDeadline);
  }
}

function setStatus(status: PayoutStatus): void {
  upsertSearchAttributes([{ key: PAYOUT_STATUS_KEY, value: status }]);
}
