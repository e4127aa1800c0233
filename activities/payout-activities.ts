/**
 * The payout workflow's activities, built by a factory from their dependencies so that the worker
 * wires the world and tests can wire another. Each forks its own EntityManager and is safe to run
 * twice: the database writes are keyed by the payout id, and the provider call uses the payout id
 * as its idempotency key.
 */
import { log } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/mysql';
import { approvePayout, markConfirmed, postPayout, releasePayout, reservePayout, type WrittenPayout } from '../db/payouts/payouts';
import { DomainError } from '../domain/errors';
import { asTemporalFailure } from './failures';
import { formatYuan } from '../domain/money';
import { buyerMaySee, type CloseReason, type PayoutRequest, type PayoutView, type ReleasedStatus } from '../domain/payout';
import type { Clock } from '../domain/time';
import type { Card } from '../db/notifications/cards';
import type { Notifier } from '../notify/notifier';
import { ProviderUnavailableError, callByKey, type PaymentProvider } from '../provider/provider';
import { SellerAccount } from '../db/reserve/entities';
import { PAYOUT_MEMO } from '../db/ledger/ledger';
import { crossedLowBalance } from '../db/reserve/accounts';
import { topUpOfCrossing } from '../db/reserve/top-ups';
import { lowBalanceCard } from '../notify/cards';
import { lowReserveCardId, payoutCardId, type CardMoment } from '../domain/card-ids';

export interface ActivityDeps {
  orm: MikroORM;
  /**
   * The ORM of the payout's own writes (reserve, confirm, approve, post, release): one whose
   * transactions send no BEGIN (`openBeginlessOrm`, issue 18). `orm` when not given.
   */
  writes?: MikroORM;
  provider: PaymentProvider;
  notifier: Notifier;
  clock: Clock;
}

/** The `type` of the failure a permanently refused transfer raises; the workflow releases on it. */
export const TRANSFER_REFUSED = 'TRANSFER_REFUSED';

/**
 * The reserved payout, the top-up its hold asked for when it crossed the auto top-up threshold, and
 * the buyer's cards stored with the hold (neither ever shown to callers).
 */
export type ReservedPayout = PayoutView & { topUpId?: string; storedCards?: string[] };

export type TransferResult = { status: 'SUCCEEDED'; transactionId?: string } | { status: 'REFUSED'; code: string };

type OutcomeStatus = 'PAID' | ReleasedStatus;

const OUTCOME_TEXT: Record<OutcomeStatus, string> = {
  PAID: 'paid to the buyer',
  FAILED: 'refused by the payment provider; the amount returned to the reserve',
  EXPIRED: 'not confirmed in time; the amount returned to the reserve',
  DECLINED: 'declined by the buyer; the amount returned to the reserve',
  CANCELLED: 'cancelled; the amount returned to the reserve',
  REJECTED: 'not approved by the main account; the amount returned to the reserve',
};

function cardPayload(payout: PayoutView): Record<string, unknown> {
  return {
    payoutId: payout.id,
    sellerId: payout.sellerId,
    orderId: payout.orderId,
    amount: payout.amount,
    amountYuan: formatYuan(payout.amount),
    reason: payout.reason,
    note: payout.note,
    deadline: payout.expiresAt,
    // Where the buyer confirms: the service's page for this payout (a path on the API's origin).
    confirmLink: `/pay/${payout.id}`,
  };
}

export function createPayoutActivities({ orm, writes = orm, provider, notifier, clock }: ActivityDeps) {
  const em = () => orm.em.fork();
  const writesEm = () => writes.em.fork();

  // Past the reservation, activities take the payout as the workflow holds it (the view the
  // reservation or the last write returned) instead of reading it again: ids, parties, amount and
  // deadline never change, and the status is the workflow's own.
  return {
    async reservePayout(request: PayoutRequest, confirmWindowMs: number): Promise<ReservedPayout> {
      return asTemporalFailure(async () => {
        try {
          const { payout, lowBalance, topUpId, storedCards } = await reservePayout(writesEm(), request, clock.now(), confirmWindowMs, sentCards);
          // A replayed reservation does not know whether its hold crossed the threshold: the ledger does.
          const key = `hold:${payout.id}`;
          const crossed = lowBalance === undefined ? await crossedLowBalance(em(), request.sellerId, key) : lowBalance;
          // Stored only: the workflow delivers it apart from the money (SPEC §5 "The edges").
          if (crossed) await notifier.store([lowBalanceCard(request.sellerId, key, crossed)]);
          // Likewise the top-up the hold asked for: the crossing is in the database, its workflow starts from the payout's.
          const askedTopUp = topUpId === undefined ? await topUpOfCrossing(em(), key) : topUpId;
          return { ...payout, ...(askedTopUp ? { topUpId: askedTopUp } : {}), ...(storedCards ? { storedCards } : {}) };
        } catch (err) {
          if (err instanceof DomainError && err.code === 'INSUFFICIENT_RESERVE') await storeLowReserveCard(request.sellerId, request.payoutId);
          throw err;
        }
      });
    },

    /** `awaiting`: the payout as the workflow holds it (since issue 18; runs from before pass none). */
    async markConfirmed(payoutId: string, actor: string, atMs: number, awaiting?: PayoutView): Promise<PayoutView> {
      return markConfirmed(writesEm(), payoutId, actor, new Date(atMs), awaiting);
    },

    /** SPEC §5 maker-checker: records the approval and starts the buyer's window from its time. */
    async approvePayout(payoutId: string, actor: string, atMs: number, confirmWindowMs: number): Promise<PayoutView> {
      return approvePayout(writesEm(), payoutId, actor, new Date(atMs), confirmWindowMs);
    },

    /**
     * Pays the buyer through the provider, exactly once: the payout id is the idempotency key, and
     * a call that timed out is resolved by asking the provider what it recorded under the key.
     */
    async transferPayout(payout: PayoutView): Promise<TransferResult> {
      const key = `payout:${payout.id}`;
      const outcome = await callByKey(provider, key, () => provider.transfer(key, payout.sellerId, payout.buyerId, payout.amount, PAYOUT_MEMO));
      // Unknown yet: fail this attempt so that Temporal retries it with the same key.
      if (!outcome) throw new ProviderUnavailableError(`transfer ${key}: the provider is unavailable`);
      return outcome;
    },

    /** Posts, and stores the outcome's cards with it: the workflow delivers `storedCards` (steps.ts). */
    async postPayout(payout: PayoutView, providerTransactionId: string | null = null): Promise<WrittenPayout> {
      return postPayout(writesEm(), payout, clock.now(), providerTransactionId, outcomeCards);
    },

    /** Releases, and stores the outcome's cards with it, as the posting does. */
    async releasePayout(payout: PayoutView, status: ReleasedStatus, actor: string | null, atMs: number, closeReason?: CloseReason): Promise<WrittenPayout> {
      return releasePayout(writesEm(), payout, status, actor, new Date(atMs), closeReason, outcomeCards);
    },

    /**
     * Stores the cards of one moment of the payout (SPEC §5.2 sent, the reminder, §5.6 the outcome
     * to both parties), which puts it on the timeline; returns the cards' ids for their delivery.
     * The local activity of runs from before the `cards-by-activity` patch, kept for their replays.
     */
    async storePayoutCards(payout: PayoutView, moment: CardMoment): Promise<string[]> {
      return storeMoment(payout, moment, clock.now());
    },

    /**
     * One moment of the payout announced (since the `cards-by-activity` patch): its cards stored
     * at `atMs` (the workflow's time, which the timeline shows), and delivered with `alsoIds`
     * (stored before, as the hold's low-balance card). Temporal runs it again until every card is
     * taken: the store keeps its first rows, the delivery repeats only what was not taken.
     */
    async announceCards(payout: PayoutView, moment: CardMoment, alsoIds: string[], atMs: number): Promise<void> {
      const ids = await storeMoment(payout, moment, new Date(atMs));
      await notifier.deliver([...ids, ...alsoIds]);
    },

    /** Delivers stored cards to the webhook; fails while any is not taken, so Temporal retries it. */
    async deliverCards(ids: string[]): Promise<void> {
      await notifier.deliver(ids);
    },

    /** The delivery's retries ended: the cards are kept, marked for an operator, counted and logged. */
    async markCardsUndeliverable(ids: string[]): Promise<number> {
      const marked = await notifier.markUndeliverable(ids);
      if (marked > 0) log.error('cards undelivered after their retries; kept for an operator', { cards: ids });
      return marked;
    },
  };

  /**
   * The moment's cards, stored at `at`. NOTIFIED and REMINDED on the payout's timeline are its
   * buyer's cards of `sent` and `reminder` (issue 18: a timeline row each was a statement and a
   * commit more), read by `payoutWithTimeline` (db/payouts/queries.ts).
   */
  function storeMoment(payout: PayoutView, moment: CardMoment, at: Date): Promise<string[]> {
    return notifier.store(payoutCards(payout, moment), at);
  }

  /** SPEC §3: a payout refused for INSUFFICIENT_RESERVE notifies the seller (stored; the workflow delivers it). */
  async function storeLowReserveCard(sellerId: string, payoutId: string): Promise<void> {
    const account = await em().findOne(SellerAccount, { sellerId });
    await notifier.store([{
      dedupeKey: lowReserveCardId(payoutId),
      recipientId: sellerId,
      recipientRole: 'seller',
      kind: 'LOW_BALANCE',
      payoutId: null,
      payload: { sellerId, available: account?.availableFen ?? 0, refusedPayoutId: payoutId, reason: 'INSUFFICIENT_RESERVE' },
    }]);
  }
}

export type { CardMoment };

/** The buyer's card of a payout that awaits them, as its reservation leaves it. */
const sentCards = (payout: PayoutView) => payoutCards(payout, 'sent');

/** The outcome's cards of a payout as its posting or release leaves it. */
const outcomeCards = (payout: PayoutView) => payoutCards(payout, 'outcome');

function payoutCards(payout: PayoutView, moment: CardMoment): Card[] {
  const card = (dedupeKey: string, recipientId: string, recipientRole: 'buyer' | 'seller', kind: Card['kind'], payload: Record<string, unknown>): Card =>
    ({ dedupeKey, recipientId, recipientRole, kind, payoutId: payout.id, payload });
  if (moment === 'approval') {
    // The buyer's page is not where the main account decides: the console is.
    const payload: Record<string, unknown> = { ...cardPayload(payout), initiatedBy: payout.initiatedBy, approvalDeadline: payout.approvalExpiresAt };
    delete payload.confirmLink;
    return [card(payoutCardId(payout.id, moment), payout.sellerId, 'seller', 'APPROVAL_REQUESTED', payload)];
  }
  if (moment === 'sent') return [card(payoutCardId(payout.id, moment), payout.buyerId, 'buyer', 'PAYOUT_SENT', cardPayload(payout))];
  if (moment === 'reminder') return [card(payoutCardId(payout.id, moment), payout.buyerId, 'buyer', 'PAYOUT_REMINDER', cardPayload(payout))];
  const payload = { ...cardPayload(payout), status: payout.status, closeReason: payout.closeReason, outcome: OUTCOME_TEXT[payout.status as OutcomeStatus] ?? payout.status };
  const seller = card(payoutCardId(payout.id, moment, 'seller'), payout.sellerId, 'seller', 'PAYOUT_OUTCOME', payload);
  // A payout never approved was never shown to the buyer (SPEC §5), so its end is not either.
  if (!buyerMaySee(payout)) return [seller];
  return [card(payoutCardId(payout.id, moment, 'buyer'), payout.buyerId, 'buyer', 'PAYOUT_OUTCOME', payload), seller];
}

export type PayoutActivities = ReturnType<typeof createPayoutActivities>;
