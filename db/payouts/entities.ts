/** Payouts and the events of their timelines. */
import type { InferEntity } from '@mikro-orm/core';
import { PAYOUT_MOMENTS, type CloseReason, type OrderCloseReason, type PayoutReason, type PayoutStatus } from '../../domain/payout';
import { fen, id, momentColumns, orNull, p, table, time } from '../columns';

export const Payout = table('Payout', 'payouts', {
  id: id().primary().length(36),
  sellerId: id(),
  buyerId: id(),
  orderId: id(),
  /** The order id while this payout uses up the order's one payout; null once cancelled. */
  orderClaim: orNull(id()),
  amountFen: fen(),
  reason: p.string().$type<PayoutReason>(),
  note: orNull(p.string()),
  status: p.string().$type<PayoutStatus>(),
  initiatedBy: id(),
  chinaDay: p.string().columnType('date'),
  createdAt: time(),
  /** expiresAt, approvalExpiresAt, approvedAt, confirmedAt, paidAt, closedAt: each null until reached. */
  ...momentColumns(PAYOUT_MOMENTS),
  closeReason: orNull(p.string().$type<CloseReason>()),
  /** An order change that cancels this payout, written with the order so that no crash loses it. */
  pendingCloseReason: orNull(p.string().$type<OrderCloseReason>()),
  providerTransactionId: orNull(p.string()),
  /**
   * The hash of the create's body under its Idempotency-Key (SPEC §8), whose key the payout's id is
   * made from: a replay with the key is answered from this row (`createdAnswerOf`, payouts.ts).
   * Null without a key, and for payouts made before migration 20261217.
   */
  requestHash: orNull(p.string().columnType('char(64)')),
  /** The events stored for the payout, oldest first; its whole timeline is `timelineOf` (queries.ts), which adds the moments its columns hold. */
  events: () => p.oneToMany(PayoutEvent).mappedBy('payout').orderBy({ at: 'asc', id: 'asc' }),
});
export type Payout = InferEntity<typeof Payout>;
/** A payout's columns, without its events: the row the reservation inserts, what a view is made of, and what `rowOf` reads. */
export type PayoutRow = Omit<Payout, 'events'>;

/** A new payout's later columns: nothing approved, decided, paid or closed yet. */
export const NOT_YET_DECIDED = {
  approvedAt: null, confirmedAt: null, paidAt: null, closedAt: null, closeReason: null, pendingCloseReason: null, providerTransactionId: null,
} as const;

/** In the order of a payout's life, which a timeline keeps for moments of the same millisecond (queries.ts `timelineOf`). */
export const PAYOUT_EVENT_TYPES = [
  'INITIATED', 'APPROVED', 'REJECTED', 'NOTIFIED', 'REMINDED', 'CONFIRMED', 'DECLINED', 'CANCELLED', 'EXPIRED', 'PAID', 'FAILED',
] as const;
export type PayoutEventType = (typeof PAYOUT_EVENT_TYPES)[number];

export const PayoutEvent = table('PayoutEvent', 'payout_events', {
  id: p.bigint().primary().autoincrement(),
  // The column is payout_id, as before. The migrations declare no foreign key and index it through
  // the unique key (payout_id, type); the ORM adds neither a constraint nor an index of its own.
  payout: () => p.manyToOne(Payout).createForeignKeyConstraint(false).index(false),
  type: p.string().$type<PayoutEventType>(),
  actor: orNull(p.string()),
  at: time(),
});
export type PayoutEvent = InferEntity<typeof PayoutEvent>;

export const PAYOUT_ENTITIES = [Payout, PayoutEvent];
