/**
 * The ceiling's activities (bench/ceiling-workflow.ts): each does nothing but answer, so that what the
 * ceiling measures is Temporal's own cost for a payout-shaped workflow, and nothing of ours.
 */
import { UNDECIDED, type PayoutView, type PayoutWorkflowInput } from '../domain/payout';
import type { CeilingActivities } from './ceiling-workflow';

/** The reserved payout, as the product's reserve activity would answer it. */
function reservedView(input: PayoutWorkflowInput, nowMs: number): PayoutView {
  return {
    id: input.payoutId,
    orderId: input.orderId,
    sellerId: input.sellerId,
    buyerId: 'ceiling-buyer',
    amount: input.amountFen,
    reason: input.reason,
    note: input.note,
    status: 'AWAITING_CONFIRMATION',
    initiatedBy: input.initiatedBy,
    createdAt: new Date(nowMs).toISOString(),
    expiresAt: new Date(nowMs + input.confirmWindowMs).toISOString(),
    approvalExpiresAt: null,
    ...UNDECIDED,
  };
}

export function createCeilingActivities(): CeilingActivities {
  return {
    async reserve(input) {
      return reservedView(input, Date.now());
    },
    async notifySent() {},
    async markConfirmed(view, atMs) {
      return { ...view, status: 'CONFIRMED', confirmedAt: new Date(atMs).toISOString() };
    },
    async transfer() {
      return { status: 'SUCCEEDED' };
    },
    async post(view) {
      const now = new Date().toISOString();
      return { ...view, status: 'PAID', paidAt: now, closedAt: now };
    },
    async notifyOutcome() {},
  };
}
