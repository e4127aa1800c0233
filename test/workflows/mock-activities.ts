/**
 * The payout workflow's activities, mocked: each behaves as the real one answers (a view in the
 * status the step leads to) without a database or a provider, so that a workflow test drives
 * every path in seconds. What a payout's activities do is set per payout id (`behave`), since
 * one worker serves every test of a file; every call is recorded, in order, for the assertions.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { PayoutActivities, TransferResult } from '../../activities/payout-activities';
import type { TopUpActivities } from '../../activities/top-up-activities';
import type { CloseReason, PayoutView, PayoutWorkflowInput, ReleasedStatus } from '../../domain/payout';
import { payoutCardIds, type CardMoment } from '../../domain/card-ids';

export interface Behaviour {
  /** The reservation is refused with this SPEC code (a business refusal, never retried). */
  refuse?: { code: string; message: string; details?: Record<string, unknown> };
  /** What the provider answers to the transfer; SUCCEEDED by default. */
  transfer?: TransferResult;
  /** The order changed before the confirmation was recorded: markConfirmed leaves the payout awaiting. */
  orderChangedBeforeConfirm?: boolean;
  /** The webhook never takes this payout's cards. */
  cardsUndeliverable?: boolean;
  /** The reservation takes this long (a database under load), past the payout's deadline when the window is short. */
  slowReserveMs?: number;
  /** Announcing the buyer's first card takes this long (a database under load). */
  slowSentStoreMs?: number;
}

export interface Call {
  activity: string;
  args: unknown[];
}

const CLOSE_REASON: Record<ReleasedStatus, CloseReason> = {
  FAILED: 'TRANSFER_REFUSED',
  EXPIRED: 'CONFIRM_WINDOW_EXPIRED',
  DECLINED: 'BUYER_DECLINED',
  CANCELLED: 'SELLER_CANCELLED',
  REJECTED: 'APPROVAL_REJECTED',
};

export class MockWorld {
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly calls: Call[] = [];
  /** Each payout as its reservation answered it: markConfirmed, which takes only the id, starts from it. */
  private readonly reserved = new Map<string, PayoutView>();

  behave(payoutId: string, behaviour: Behaviour): void {
    this.behaviours.set(payoutId, behaviour);
  }

  /** The calls whose arguments name this payout (its cards' ids carry its id too), in order. */
  callsOf(payoutId: string): Call[] {
    return this.calls.filter((call) => JSON.stringify(call.args).includes(payoutId));
  }

  namesOf(payoutId: string): string[] {
    return this.callsOf(payoutId).map((call) => call.activity);
  }

  activities(): PayoutActivities & Pick<TopUpActivities, 'recordRefusalCrossing'> {
    const record = (activity: string, args: unknown[]) => this.calls.push({ activity, args });
    const of = (payoutId: string) => this.behaviours.get(payoutId) ?? {};
    const reserved = this.reserved;
    const failsFor = (ids: string[]) => [...this.behaviours].some(([id, b]) => b.cardsUndeliverable && ids.some((card) => card.includes(id)));
    return {
      async reservePayout(request: PayoutWorkflowInput, confirmWindowMs: number): Promise<PayoutView> {
        record('reservePayout', [request, confirmWindowMs]);
        const refusal = of(request.payoutId).refuse;
        if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.code, refusal.details ?? {});
        const now = Date.now();
        const view: PayoutView = {
          id: request.payoutId, orderId: request.orderId, sellerId: request.sellerId, buyerId: `buyer-of-${request.orderId}`,
          amount: request.amountFen, reason: request.reason, note: request.note, status: 'AWAITING_CONFIRMATION',
          initiatedBy: request.initiatedBy, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + confirmWindowMs).toISOString(),
          confirmedAt: null, paidAt: null, closedAt: null, closeReason: null, providerTransactionId: null, approvalExpiresAt: null, approvedAt: null,
        };
        reserved.set(request.payoutId, view);
        const slowMs = of(request.payoutId).slowReserveMs;
        if (slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
        return view;
      },
      async markConfirmed(payoutId: string, actor: string, atMs: number): Promise<PayoutView> {
        record('markConfirmed', [payoutId, actor, atMs]);
        const view = reserved.get(payoutId)!;
        return of(payoutId).orderChangedBeforeConfirm ? view : { ...view, status: 'CONFIRMED', confirmedAt: new Date(atMs).toISOString() };
      },
      async approvePayout(payoutId: string, actor: string, atMs: number): Promise<PayoutView> {
        record('approvePayout', [payoutId, actor, atMs]);
        return { ...reserved.get(payoutId)!, status: 'AWAITING_CONFIRMATION', approvedAt: new Date(atMs).toISOString() };
      },
      async transferPayout(payout: PayoutView): Promise<TransferResult> {
        record('transferPayout', [payout]);
        return of(payout.id).transfer ?? { status: 'SUCCEEDED', transactionId: `tx-${payout.id}` };
      },
      async postPayout(payout: PayoutView, providerTransactionId: string | null = null): Promise<PayoutView> {
        record('postPayout', [payout, providerTransactionId]);
        return { ...payout, status: 'PAID', paidAt: new Date().toISOString(), providerTransactionId };
      },
      async releasePayout(payout: PayoutView, status: ReleasedStatus, actor: string | null, atMs: number): Promise<PayoutView> {
        record('releasePayout', [payout, status, actor, atMs]);
        return { ...payout, status, closedAt: new Date(atMs).toISOString(), closeReason: CLOSE_REASON[status] };
      },
      async storePayoutCards(payout: PayoutView, moment: string): Promise<string[]> {
        record('storePayoutCards', [payout, moment]);
        const slowMs = of(payout.id).slowSentStoreMs;
        if (moment === 'sent' && slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
        return [`${moment}:${payout.id}`];
      },
      async announceCards(payout: PayoutView, moment: CardMoment, alsoIds: string[], atMs: number): Promise<void> {
        record('announceCards', [payout, moment, alsoIds, atMs]);
        const slowMs = of(payout.id).slowSentStoreMs;
        if (moment === 'sent' && slowMs) await new Promise((resolve) => setTimeout(resolve, slowMs));
        if (failsFor([...payoutCardIds(payout.id, moment), ...alsoIds])) throw ApplicationFailure.nonRetryable('the webhook refused the cards for good', 'WEBHOOK_GONE');
      },
      async deliverCards(ids: string[]): Promise<void> {
        record('deliverCards', [ids]);
        if (failsFor(ids)) throw ApplicationFailure.nonRetryable('the webhook refused the cards for good', 'WEBHOOK_GONE');
      },
      async markCardsUndeliverable(ids: string[]): Promise<number> {
        record('markCardsUndeliverable', [ids]);
        return ids.length;
      },
      /** No auto top-up in these worlds: a refusal's crossing asks for none. */
      async recordRefusalCrossing(sellerId: string, payoutId: string): Promise<string | null> {
        record('recordRefusalCrossing', [sellerId, payoutId]);
        return null;
      },
    };
  }
}
