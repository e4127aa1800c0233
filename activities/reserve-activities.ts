/**
 * The recharge's and the withdrawal's activities (SPEC §3), one side effect each: the ledger's
 * credit, debit and void (database writes the workflows run as local activities), the provider's
 * withholding and pay-back (ordinary activities, retried while the provider does not answer), and
 * the withdrawal's low-balance card. Each is safe to run twice: the ledger's writes are keyed by the
 * movement (`recharge:<id>`, `withdrawal:<id>`, `withdrawal-void:<id>`), and the provider is called
 * under the movement's key, so a retry finds what the first call did.
 */
import type { MikroORM } from '@mikro-orm/mysql';
import { creditRecharge, crossedLowBalance, debitWithdrawal, rechargeKey, voidWithdrawal, withdrawalKey } from '../db/reserve/accounts';
import { asId } from '../domain/id';
import type { Fen } from '../domain/money';
import type { Clock } from '../domain/time';
import { lowBalanceCard } from '../notify/cards';
import type { Notifier } from '../notify/notifier';
import { ProviderUnavailableError, callByKey, type PaymentProvider, type ProviderOutcome } from '../provider/provider';
import { asTemporalFailure } from './failures';

export interface ReserveActivityDeps {
  orm: MikroORM;
  provider: PaymentProvider;
  notifier: Notifier;
  clock: Clock;
}

export function createReserveActivities({ orm, provider, notifier, clock }: ReserveActivityDeps) {
  const em = () => orm.em.fork();

  /** A provider call exactly once under its key: a call that timed out is settled by asking the provider for the key. */
  async function byKey(key: string, call: () => Promise<ProviderOutcome>): Promise<ProviderOutcome> {
    const outcome = await callByKey(provider, key, call);
    if (!outcome) throw new ProviderUnavailableError(`${key}: the provider is unavailable`);
    return outcome;
  }

  return {
    /** Withholds the recharge from the seller's payment account under the agreement. */
    async withholdRecharge(rechargeId: string, sellerId: string, amountFen: Fen): Promise<ProviderOutcome> {
      const key = rechargeKey(rechargeId);
      return byKey(key, () => provider.withhold(key, sellerId, amountFen));
    },

    /** Credits what the provider withheld to available; returns the movement's key. */
    async creditRecharge(rechargeId: string, sellerId: string, amountFen: Fen): Promise<string> {
      const entry = await creditRecharge(em(), asId(sellerId), rechargeId, amountFen, clock.now());
      return entry.movementKey;
    },

    /**
     * Takes the withdrawal out of available, before any money leaves, so that a payout racing it
     * cannot spend the same fen. The balance is checked here and only here, under the seller's
     * lock: a retry whose debit is already written finds it and is not refused.
     * Refused (INSUFFICIENT_RESERVE, AGREEMENT_REQUIRED) as a non-retryable failure with the SPEC code.
     */
    async debitWithdrawal(withdrawalId: string, sellerId: string, amountFen: Fen): Promise<string> {
      return asTemporalFailure(async () => {
        const entry = await debitWithdrawal(em(), asId(sellerId), withdrawalId, amountFen, clock.now());
        return entry.movementKey;
      });
    },

    /** Pays the withdrawal back to the seller's payment account. */
    async payBackWithdrawal(withdrawalId: string, sellerId: string, amountFen: Fen): Promise<ProviderOutcome> {
      const key = withdrawalKey(withdrawalId);
      return byKey(key, () => provider.payBack(key, sellerId, amountFen));
    },

    /** A pay-back refused for good: the amount returns to available (WITHDRAWAL_VOID). */
    async voidWithdrawal(withdrawalId: string, sellerId: string, amountFen: Fen): Promise<void> {
      await voidWithdrawal(em(), asId(sellerId), withdrawalId, amountFen, clock.now());
    },

    /**
     * Stores the seller's low-balance card when the withdrawal took available below the alert
     * threshold (SPEC §3; read back from the ledger, so a second run stores the same card once);
     * returns the card's id, or none.
     */
    async storeWithdrawalLowBalanceCard(withdrawalId: string, sellerId: string): Promise<string[]> {
      const key = withdrawalKey(withdrawalId);
      const crossed = await crossedLowBalance(em(), sellerId, key);
      return crossed ? notifier.store([lowBalanceCard(sellerId, key, crossed)]) : [];
    },
  };
}

export type ReserveActivities = ReturnType<typeof createReserveActivities>;
