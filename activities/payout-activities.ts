/**
 * The payout workflow's activities, built by a factory from their dependencies so that the worker
 * wires the world and tests can wire another. Each forks its own EntityManager and is safe to run
 * twice: the database writes are keyed by the payout id, and the provider call uses the payout id
 * as its idempotency key.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { MikroORM } from '@mikro-orm/mysql';
import { markConfirmed, postPayout, recordPayoutEvent, releasePayout, reservePayout } from '../db/payouts';
import { DomainError } from '../domain/errors';
import { formatYuan } from '../domain/money';
import type { PayoutRequest, PayoutView, ReleasedStatus } from '../domain/payout';
import type { Clock } from '../domain/time';
import type { Card, Notifier } from '../notify/notifier';
import { ProviderUnavailableError, callByKey, type PaymentProvider } from '../provider/provider';
import { SellerAccount } from '../db/entities';
import { PAYOUT_MEMO } from '../db/ledger';
import { crossedLowBalance } from '../db/accounts';
import { lowBalanceCard } from '../notify/cards';

export interface ActivityDeps {
  orm: MikroORM;
  provider: PaymentProvider;
  notifier: Notifier;
  clock: Clock;
}

/** The `type` of the failure a permanently refused transfer raises; the workflow releases on it. */
export const TRANSFER_REFUSED = 'TRANSFER_REFUSED';

export type TransferResult = { status: 'SUCCEEDED'; transactionId?: string } | { status: 'REFUSED'; code: string };

/** Business refusals cross into Temporal as non-retryable failures whose type is the SPEC code. */
async function asTemporalFailure<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof DomainError) throw ApplicationFailure.nonRetryable(err.message, err.code, err.details);
    throw err;
  }
}

type OutcomeStatus = 'PAID' | ReleasedStatus;

const OUTCOME_TEXT: Record<OutcomeStatus, string> = {
  PAID: 'paid to the buyer',
  FAILED: 'refused by the payment provider; the amount returned to the reserve',
  EXPIRED: 'not confirmed in time; the amount returned to the reserve',
  DECLINED: 'declined by the buyer; the amount returned to the reserve',
  CANCELLED: 'cancelled; the amount returned to the reserve',
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
    confirmLink: `/v1/payouts/${payout.id}/confirm`,
  };
}

export function createPayoutActivities({ orm, provider, notifier, clock }: ActivityDeps) {
  const em = () => orm.em.fork();

  // Past the reservation, activities take the payout as the workflow holds it (the view the
  // reservation or the last write returned) instead of reading it again: ids, parties, amount and
  // deadline never change, and the status is the workflow's own.
  return {
    async reservePayout(request: PayoutRequest, confirmWindowMs: number): Promise<PayoutView> {
      return asTemporalFailure(async () => {
        try {
          const { payout, lowBalance } = await reservePayout(em(), request, clock.now(), confirmWindowMs);
          // A replayed reservation does not know whether its hold crossed the threshold: the ledger does.
          const key = `hold:${payout.id}`;
          const crossed = lowBalance === undefined ? await crossedLowBalance(em(), request.sellerId, key) : lowBalance;
          if (crossed) await notifier.send([lowBalanceCard(request.sellerId, key, crossed)]);
          return payout;
        } catch (err) {
          if (err instanceof DomainError && err.code === 'INSUFFICIENT_RESERVE') await notifyLowReserve(request.sellerId, request.payoutId);
          throw err;
        }
      });
    },

    async markConfirmed(payoutId: string, actor: string, atMs: number): Promise<PayoutView> {
      return markConfirmed(em(), payoutId, actor, new Date(atMs));
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

    async postPayout(payout: PayoutView, providerTransactionId: string | null = null): Promise<PayoutView> {
      return postPayout(em(), payout, clock.now(), providerTransactionId);
    },

    async releasePayout(payout: PayoutView, status: ReleasedStatus, actor: string | null, atMs: number): Promise<PayoutView> {
      return releasePayout(em(), payout, status, actor, new Date(atMs));
    },

    /** SPEC §5.2: the chat card telling the buyer a payout awaits their confirmation. */
    async notifyPayoutSent(payout: PayoutView): Promise<void> {
      await notifier.send([{ dedupeKey: `sent:${payout.id}`, recipientId: payout.buyerId, recipientRole: 'buyer', kind: 'PAYOUT_SENT', payoutId: payout.id, payload: cardPayload(payout) }]);
      await recordPayoutEvent(em(), payout.id, 'NOTIFIED', clock.now());
    },

    /** The reminder before the deadline (24 hours with the default 3-day window). */
    async notifyReminder(payout: PayoutView): Promise<void> {
      await notifier.send([{ dedupeKey: `reminder:${payout.id}`, recipientId: payout.buyerId, recipientRole: 'buyer', kind: 'PAYOUT_REMINDER', payoutId: payout.id, payload: cardPayload(payout) }]);
      await recordPayoutEvent(em(), payout.id, 'REMINDED', clock.now());
    },

    /** SPEC §5.6: seller and buyer are told the outcome (`payout` as the workflow ended it). */
    async notifyOutcome(payout: PayoutView): Promise<void> {
      const payload = { ...cardPayload(payout), status: payout.status, outcome: OUTCOME_TEXT[payout.status as OutcomeStatus] ?? payout.status };
      const cards: Card[] = [
        { dedupeKey: `outcome:${payout.id}:buyer`, recipientId: payout.buyerId, recipientRole: 'buyer', kind: 'PAYOUT_OUTCOME', payoutId: payout.id, payload },
        { dedupeKey: `outcome:${payout.id}:seller`, recipientId: payout.sellerId, recipientRole: 'seller', kind: 'PAYOUT_OUTCOME', payoutId: payout.id, payload },
      ];
      await notifier.send(cards);
    },
  };

  /** SPEC §3: a payout refused for INSUFFICIENT_RESERVE notifies the seller. */
  async function notifyLowReserve(sellerId: string, payoutId: string): Promise<void> {
    const account = await em().findOne(SellerAccount, { sellerId });
    await notifier.send([{
      dedupeKey: `low-reserve:${payoutId}`,
      recipientId: sellerId,
      recipientRole: 'seller',
      kind: 'LOW_BALANCE',
      payoutId: null,
      payload: { sellerId, available: account?.availableFen ?? 0, refusedPayoutId: payoutId, reason: 'INSUFFICIENT_RESERVE' },
    }]);
  }
}

export type PayoutActivities = ReturnType<typeof createPayoutActivities>;
