/** Payout states, reasons and the shapes that cross the workflow boundary. Pure: workflows import it. */
import type { Fen } from './money';

export const PAYOUT_STATUSES = [
  'AWAITING_CONFIRMATION',
  'CONFIRMED',
  'PAID',
  'FAILED',
  'EXPIRED',
  'DECLINED',
  'CANCELLED',
] as const;
export type PayoutStatus = (typeof PAYOUT_STATUSES)[number];

export const TERMINAL_STATUSES: readonly PayoutStatus[] = ['PAID', 'FAILED', 'EXPIRED', 'DECLINED', 'CANCELLED'];

export function isTerminal(status: PayoutStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The states reached by releasing the hold, as opposed to posting it (`PAID`). */
export type ReleasedStatus = 'FAILED' | 'EXPIRED' | 'DECLINED' | 'CANCELLED';

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

/** The buyer's or seller's decision delivered to a waiting payout workflow. */
export type Decision = 'confirm' | 'decline' | 'cancel';

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
}

export interface PayoutWorkflowInput extends PayoutRequest {
  /** How long the buyer has to confirm; 3 days in production, seconds in tests. */
  confirmWindowMs: number;
}

/** The payout as the API shows it; timestamps are ISO-8601 strings. */
export interface PayoutView {
  id: string;
  orderId: string;
  sellerId: string;
  buyerId: string;
  amount: Fen;
  reason: PayoutReason;
  note: string | null;
  status: PayoutStatus;
  initiatedBy: string;
  createdAt: string;
  expiresAt: string;
  confirmedAt: string | null;
  paidAt: string | null;
  closedAt: string | null;
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
  decision: Decision | null;
}
