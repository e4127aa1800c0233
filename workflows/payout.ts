/**
 * One durable workflow per payout (SPEC §5): reserve → notify the buyer → wait for confirm /
 * decline / cancel until the deadline, with a reminder before it → transfer and post, or release.
 *
 * The API starts it with update-with-start: the `reserve` update holds the money and answers the
 * caller synchronously with the payout or the SPEC code of the refusal. Decisions arrive as
 * updates whose validators refuse them, with `PAYOUT_NOT_AWAITING_CONFIRMATION`, once the payout
 * has left `AWAITING_CONFIRMATION`: the first decision to reach the workflow wins.
 *
 * Deterministic code only: activities are imported as types and reached through proxies.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { CardMoment, PayoutActivities } from '../activities/payout-activities';
import { SYSTEM_ACTOR, type Decision, type OrderCloseReason, type PayoutProgress, type PayoutStatus, type PayoutView, type PayoutWorkflowInput } from '../domain/payout';
import { DB_ACTIVITY, RAIL_ACTIVITY, cardDeliveryOptions } from './activity-options';
import { holdLowBalanceCardId, lowReserveCardId } from '../domain/card-ids';
import { PAYOUT_STATUS_KEY } from './search-attributes';

export interface DecisionInput {
  /** The account that decided (the buyer, or the seller / sub-account that cancelled). */
  actor: string;
  /** The API's id of this decision; its fallback signal carries the same id. */
  decisionId?: string;
}

export interface DecisionSignalInput extends DecisionInput {
  decision: Decision;
  decisionId: string;
}

/**
 * SPEC §5 "Decisions are durable on arrival": the API's fallback when no worker answered the
 * decision's update within 2 s. Recorded in history before the API answers 202; applied once a
 * worker runs, if no earlier decision, deadline or order change decided first.
 */
export const decisionSignal = defineSignal<[DecisionSignalInput]>('decision');

export const reserveUpdate = defineUpdate<PayoutView>('reserve');
export const confirmUpdate = defineUpdate<PayoutView, [DecisionInput]>('confirm');
export const declineUpdate = defineUpdate<PayoutView, [DecisionInput]>('decline');
export const cancelUpdate = defineUpdate<PayoutView, [DecisionInput]>('cancel');
export const progressQuery = defineQuery<PayoutProgress>('progress');

export interface OrderChangedInput {
  closeReason: OrderCloseReason;
}

/**
 * The trade system changed the payout's order so that the payout must not be paid (SPEC §5 "The
 * edges"). Sent after the order's commit, which also marked the payout in the database; the mark,
 * not this signal, is the truth, so a lost or repeated signal changes nothing.
 */
export const orderChangedSignal = defineSignal<[OrderChangedInput]>('orderChanged');

const db = proxyLocalActivities<PayoutActivities>(DB_ACTIVITY);
const rail = proxyActivities<PayoutActivities>(RAIL_ACTIVITY);

/** The reminder goes out this share of the window before the deadline: 24 h of the default 3 days. */
const REMINDER_LEAD_SHARE = 1 / 3;

type Verdict = { kind: Decision; actor: string; atMs: number } | { kind: 'expire' | 'orderChanged'; atMs: number };

/** A refused reservation ends the workflow with the refusal, so that a late caller can still learn it. */
export type PayoutWorkflowResult =
  | { status: PayoutStatus }
  | { status: 'REFUSED'; code: string; message: string; details: Record<string, unknown> };

export async function payoutWorkflow(input: PayoutWorkflowInput): Promise<PayoutWorkflowResult> {
  // The workflow reserves whether or not an update ever arrives, so a start whose update was lost
  // (Temporal restarting, a worker killed) still reserves; the caller sees the refusal itself (its
  // SPEC code), not the activity failure around it.
  const reservation = db.reservePayout(input, input.confirmWindowMs).catch((err) => {
    throw err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? err.cause : err;
  });
  // Cards are stored by local activities and delivered by their own, retried for days apart from
  // the money (SPEC §5 "The edges"); the workflow ends once every delivery has ended.
  const cards = proxyActivities<PayoutActivities>(cardDeliveryOptions(input.confirmWindowMs));
  const deliveries: Promise<unknown>[] = [];
  const delivered = (ids: string[]) => cards.deliverCards(ids).catch(() => db.markCardsUndeliverable(ids));
  const deliver = (ids: string[]) => {
    deliveries.push(delivered(ids));
  };
  // One promise per moment, store then delivery, so that awaiting `deliveries` awaits both.
  const announce = (payout: PayoutView, moment: CardMoment, alsoIds: string[] = []) => {
    deliveries.push(db.storePayoutCards(payout, moment).then((ids) => delivered([...ids, ...alsoIds])));
  };
  let view: PayoutView | undefined;
  let verdict: Verdict | undefined;
  let reminded = false;
  let refusedCode: string | undefined;

  const status = (): PayoutProgress['status'] => (refusedCode ? 'REFUSED' : view?.status ?? 'RESERVING');
  const awaiting = () => view?.status === 'AWAITING_CONFIRMATION' && verdict === undefined;

  // The update only observes the reservation.
  setHandler(reserveUpdate, () => reservation);
  setHandler(progressQuery, () => ({
    payoutId: input.payoutId,
    status: status(),
    expiresAt: view?.expiresAt ?? null,
    reminded,
    decision: verdict && 'actor' in verdict ? verdict.kind : null,
  }));
  // A decision the workflow already recorded keeps its place: a confirmation not yet recorded in
  // the database still loses to the order change there (markConfirmed re-checks the order).
  setHandler(orderChangedSignal, () => {
    verdict ??= { kind: 'orderChanged', atMs: Date.now() };
  });

  // Of the decisions in history the first wins: a later one, or the same decision arriving again
  // as the update its caller gave up on, finds the verdict taken and changes nothing.
  setHandler(decisionSignal, ({ decision, actor }) => {
    if (verdict === undefined && !refusedCode && (view === undefined || view.status === 'AWAITING_CONFIRMATION')) {
      verdict = { kind: decision, actor, atMs: Date.now() };
    }
  });

  const decide = (kind: Decision) => async ({ actor }: DecisionInput): Promise<PayoutView> => {
    verdict = { kind, actor, atMs: Date.now() };
    await condition(() => view?.status !== 'AWAITING_CONFIRMATION');
    return view!;
  };
  const onlyWhileAwaiting = (_decision: DecisionInput) => {
    if (!awaiting()) {
      throw ApplicationFailure.nonRetryable(`payout ${input.payoutId} is ${status()}`, 'PAYOUT_NOT_AWAITING_CONFIRMATION', { status: status() });
    }
  };
  setHandler(confirmUpdate, decide('confirm'), { validator: onlyWhileAwaiting });
  setHandler(declineUpdate, decide('decline'), { validator: onlyWhileAwaiting });
  setHandler(cancelUpdate, decide('cancel'), { validator: onlyWhileAwaiting });

  try {
    view = await reservation;
  } catch (err) {
    if (!(err instanceof ApplicationFailure && err.nonRetryable)) throw err;
    const refused = refuse(err);
    if (err.type === 'INSUFFICIENT_RESERVE') deliver([lowReserveCardId(input.payoutId)]);
    await Promise.all(deliveries);
    return refused;
  }
  setStatus(view.status);
  // The hold may have stored the seller's low-balance card; its delivery starts here, off the money path.
  announce(view, 'sent', [holdLowBalanceCardId(input.payoutId)]);
  if (view.status === 'AWAITING_CONFIRMATION') await awaitVerdict(view);
  if (verdict) await settle(verdict);
  announce(view, 'outcome');
  await Promise.all(deliveries);
  return { status: view.status };

  function refuse(failure: ApplicationFailure): PayoutWorkflowResult {
    refusedCode = failure.type ?? 'REFUSED';
    upsertSearchAttributes([{ key: PAYOUT_STATUS_KEY, value: 'REFUSED' }]);
    return { status: 'REFUSED', code: refusedCode, message: failure.message, details: (failure.details?.[0] ?? {}) as Record<string, unknown> };
  }

  function setStatus(next: PayoutStatus): void {
    upsertSearchAttributes([{ key: PAYOUT_STATUS_KEY, value: next }]);
  }

  /** Waits for a decision until the deadline; the server, not a cron, closes the payout on time. */
  async function awaitVerdict(reserved: PayoutView): Promise<void> {
    const expiresAtMs = Date.parse(reserved.expiresAt);
    const lead = Math.floor(input.confirmWindowMs * REMINDER_LEAD_SHARE);
    const untilReminder = expiresAtMs - lead - Date.now();
    if (untilReminder > 0 && (await condition(() => verdict !== undefined, untilReminder))) return;
    if (verdict === undefined) {
      reminded = true;
      announce(reserved, 'reminder');
    }
    const untilDeadline = expiresAtMs - Date.now();
    if (untilDeadline > 0 && (await condition(() => verdict !== undefined, untilDeadline))) return;
    verdict ??= { kind: 'expire', atMs: Date.now() };
  }

  /** Moves the money the verdict calls for and records the end state. */
  async function settle(decided: Verdict): Promise<void> {
    if (decided.kind === 'confirm') {
      view = await db.markConfirmed(input.payoutId, decided.actor, decided.atMs);
      // Still awaiting: the order changed before the confirmation was recorded, and cancels it.
      if (view.status === 'AWAITING_CONFIRMATION') view = await db.releasePayout(view, 'CANCELLED', SYSTEM_ACTOR, Date.now());
    }
    if (view!.status === 'CONFIRMED') {
      setStatus(view!.status);
      const transfer = await rail.transferPayout(view!);
      view = transfer.status === 'SUCCEEDED'
        ? await db.postPayout(view!, transfer.transactionId ?? null)
        : await db.releasePayout(view!, 'FAILED', null, Date.now());
    } else if (decided.kind !== 'confirm') {
      const end = ({ decline: 'DECLINED', cancel: 'CANCELLED', expire: 'EXPIRED', orderChanged: 'CANCELLED' } as const)[decided.kind];
      view = await db.releasePayout(view!, end, 'actor' in decided ? decided.actor : SYSTEM_ACTOR, decided.atMs);
    }
    setStatus(view!.status);
  }
}

