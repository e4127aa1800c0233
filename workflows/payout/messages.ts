/**
 * What the API and the worker send a payout workflow, defined next to it (the samples' manner):
 * the reservation it answers, the decisions of the buyer, the seller and the main account, the
 * order change, and the progress query.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Decision, OrderCloseReason, PayoutProgress, PayoutView } from '../../domain/payout';

/** Who asks for a decision, as the API authenticated them: the payout's buyer, or its seller's accounts. */
export type DecisionParty = { buyerId: string } | { sellerId: string };

export interface DecisionInput {
  /** The account that decided (the buyer, the seller or sub-account that cancelled, the main account that approved). */
  actor: string;
  /**
   * Since issue 18 the API does not read the payout before a buyer's or a seller's decision: the
   * update's validator answers anyone but the payout's own party as not found, as that read did.
   * Absent from the calls of API versions that read it.
   */
  party?: DecisionParty;
  /**
   * The API's id of this decision; its fallback signal carries the same id, and the workflow
   * applies each id at most once (SPEC §5).
   */
  decisionId?: string;
}

export interface DecisionSignalInput extends DecisionInput {
  decision: Decision;
  decisionId: string;
  /**
   * When the API handed the signal to Temporal (epoch ms; absent in histories from before it was
   * sent). A decision handed over at or after the deadline of the wait it would end never stands,
   * however late the workflow reads it (SPEC §5).
   */
  handedAtMs?: number;
}

/**
 * SPEC §5 "Decisions are durable on arrival": the API's fallback when no worker answered the
 * decision's update within 2 s. Recorded in history before the API answers 202; applied once a
 * worker runs, if no earlier decision, deadline or order change decided first.
 */
export const decisionSignal = defineSignal<[DecisionSignalInput]>('decision');

/**
 * What the API's create asks of the workflow it starts or joins: the hash of its request's body
 * under the Idempotency-Key that names the workflow. Updates recorded before issue 18 carry none.
 */
export interface ReserveInput {
  requestHash?: string;
}

/**
 * Answers the reservation. Its validator refuses `IDEMPOTENCY_KEY_REUSED` when the key that named
 * this workflow came with another body (two first attempts at once, each past the API's read of
 * the key): the second would otherwise be answered with the first one's payout.
 */
export const reserveUpdate = defineUpdate<PayoutView, [ReserveInput]>('reserve');
export const confirmUpdate = defineUpdate<PayoutView, [DecisionInput]>('confirm');
export const declineUpdate = defineUpdate<PayoutView, [DecisionInput]>('decline');
export const cancelUpdate = defineUpdate<PayoutView, [DecisionInput]>('cancel');
/** SPEC §5 maker-checker: the main account's decisions; answered 200, 409 or 503, never by a signal. */
export const approveUpdate = defineUpdate<PayoutView, [DecisionInput]>('approve');
export const rejectUpdate = defineUpdate<PayoutView, [DecisionInput]>('reject');
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
