/** Payout states, reasons and the shapes that cross the workflow boundary. Pure: workflows import it. */
import type { Fen } from './money';

export const PAYOUT_STATUSES = [
  'PENDING_APPROVAL',
  'AWAITING_CONFIRMATION',
  'CONFIRMED',
  'PAID',
  'FAILED',
  'EXPIRED',
  'DECLINED',
  'CANCELLED',
  'REJECTED',
] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export const TERMINAL_STATUSES: readonly PayoutStatus[] = ['PAID', 'FAILED', 'EXPIRED', 'DECLINED', 'CANCELLED', 'REJECTED'];

export function isTerminal(status: PayoutStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The states reached by releasing the hold, as opposed to posting it (`PAID`). */
export type ReleasedStatus = 'FAILED' | 'EXPIRED' | 'DECLINED' | 'CANCELLED' | 'REJECTED';

/** SPEC §5 "The edges": why a payout closed without paying; null while open and on `PAID`. */
export const CLOSE_REASONS = [
  'CONFIRM_WINDOW_EXPIRED',
  'BUYER_DECLINED',
  'SELLER_CANCELLED',
  'ORDER_CLOSED',
  'ORDER_REFUNDED',
  'TRANSFER_REFUSED',
  'APPROVAL_REJECTED',
  'APPROVAL_EXPIRED',
] as const;
export type CloseReason = (typeof CLOSE_REASONS)[number];

/** The close reasons an order update from the trade system gives a payout it cancels. */
export type OrderCloseReason = Extract<CloseReason, 'ORDER_CLOSED' | 'ORDER_REFUNDED'>;

/** The account recorded as the actor of what the service decides itself (an order change). */
export const SYSTEM_ACTOR = 'system';

export const PAYOUT_REASONS = ['PRICE_DIFFERENCE', 'SHIPPING_FEE', 'COMPENSATION', 'OTHER'] as const;
export type PayoutReason = (typeof PAYOUT_REASONS)[number];

export const NOTE_LENGTH_MAX = 200;

/** The buyer's or seller's decision delivered to a waiting payout workflow (202 possible, SPEC §5). */
export type Decision = 'confirm' | 'decline' | 'cancel';

/** The main account's decision on a payout that waits for approval (200, 409 or 503; no 202). */
export type ApprovalDecision = 'approve' | 'reject';

/**
 * SPEC §5 "Beyond every peer": the approval deadline is this share of the confirmation window
 * (24 hours of the default 3 days).
 */
export const APPROVAL_WINDOW_SHARE = 1 / 3;

export function approvalWindowMs(confirmWindowMs: number): number {
  return Math.floor(confirmWindowMs * APPROVAL_WINDOW_SHARE);
}

/**
 * Whether the buyer may see the payout: one that needed approval stays hidden from the buyer until
 * it is approved, and for good if it never is (SPEC §5: no card, no list, no refund page).
 */
export function buyerMaySee(payout: { approvalExpiresAt: unknown; approvedAt: unknown }): boolean {
  return payout.approvalExpiresAt === null || payout.approvedAt !== null;
}

export interface Actor {
  /** The account id from the token's `sub`. */
  id: string;
  role: 'seller' | 'sub_account' | 'buyer' | 'auditor' | 'system';
}

/** What the API asks the workflow to reserve; everything the reserve activity needs. */
export interface PayoutRequest {
  payoutId: string;
  sellerId: string;
  orderId: string;
  amountFen: Fen;
  reason: PayoutReason;
  note: string | null;
  initiatedBy: string;
  /**
   * The Idempotency-Key the request came with (SPEC §8), when it came with one: the reservation
   * stores its 201 answer under the key in its own transaction (api/idempotency.ts), and the
   * `reserve` update refuses a request with another body under the same key. Absent in runs
   * started before issue 18, and in requests without a key.
   */
  idempotency?: IdempotencyKey | null;
}

/** The operation under which a payout's create keeps its Idempotency-Keys. */
export const PAYOUT_IDEMPOTENCY_OPERATION = 'payout';

/** An Idempotency-Key as the API scopes it: the principal's key, the key, and the hash of the request's body. */
export interface IdempotencyKey {
  principal: string;
  key: string;
  requestHash: string;
}

export interface PayoutWorkflowInput extends PayoutRequest {
  /** How long the buyer has to confirm; 3 days in production, seconds in tests. */
  confirmWindowMs: number;
}

/**
 * The moments of a payout's life, as the API shows them: ISO-8601 strings, each null until it is
 * reached. `expiresAt` is the buyer's deadline, null while the payout waits for approval (its window
 * starts at approval); `approvalExpiresAt` the approval deadline of a payout that needed approval,
 * null for one that did not.
 */
export const PAYOUT_MOMENTS = ['expiresAt', 'approvalExpiresAt', 'approvedAt', 'confirmedAt', 'paidAt', 'closedAt'] as const;
export type PayoutMoment = (typeof PAYOUT_MOMENTS)[number];

/** What a payout's view holds before anything was decided on it: no approval, confirmation, payment or close. */
export const UNDECIDED = Object.freeze({ approvedAt: null, confirmedAt: null, paidAt: null, closedAt: null, closeReason: null, providerTransactionId: null });

/**
 * The payout as the API shows it (openapi.yaml's `Payout`, which api/types.ts holds it to): what was
 * asked, where it stands, and its moments.
 */
export interface PayoutView extends Pick<PayoutRequest, 'orderId' | 'sellerId' | 'reason' | 'note' | 'initiatedBy'>, Record<PayoutMoment, string | null> {
  id: string;
  buyerId: string;
  amount: Fen;
  status: PayoutStatus;
  createdAt: string;
  closeReason: CloseReason | null;
  /** The provider's id of the transfer, once `PAID`. */
  providerTransactionId: string | null;
}

/** What a workflow query answers about its progress. */
export interface PayoutProgress {
  payoutId: string;
  status: PayoutStatus | 'RESERVING' | 'REFUSED';
  expiresAt: string | null;
  reminded: boolean;
  decision: Decision | ApprovalDecision | null;
}
