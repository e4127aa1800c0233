/**
 * The automatic top-up's activities (SPEC §5), one side effect each: the database writes (decide,
 * credit, refuse, record a refusal's crossing, store the card) and the provider's withholding.
 * Each is safe to run twice: the writes are keyed by the top-up id, and the withholding uses
 * `top-up:<id>` as its idempotency key, which is also its ledger movement's key.
 */
import type { MikroORM } from '@mikro-orm/mysql';
import { ReserveTopUp } from '../db/reserve/top-up-entities';
import { TOP_UP_MEMO, creditTopUp, decideTopUp, recordRefusalCrossing, refuseTopUp, topUpMovementKey, type TopUpDecision } from '../db/reserve/top-ups';
import { formatYuan, type Fen } from '../domain/money';
import type { Clock } from '../domain/time';
import type { Card } from '../db/notifications/cards';
import type { Notifier } from '../notify/notifier';
import { ProviderUnavailableError, callByKey, type PaymentProvider, type ProviderOutcome } from '../provider/provider';

export interface TopUpActivityDeps {
  orm: MikroORM;
  provider: PaymentProvider;
  notifier: Notifier;
  clock: Clock;
}

export function createTopUpActivities({ orm, provider, notifier, clock }: TopUpActivityDeps) {
  const em = () => orm.em.fork();
  return {
    /** A payout refused for INSUFFICIENT_RESERVE is a crossing: the top-up it asked for or joined, or null (auto top-up off). */
    async recordRefusalCrossing(sellerId: string, payoutId: string): Promise<string | null> {
      return recordRefusalCrossing(em(), sellerId, payoutId, clock.now());
    },

    async decideTopUp(topUpId: string): Promise<TopUpDecision> {
      return decideTopUp(em(), topUpId, clock.now());
    },

    /** Withholds under the agreement, exactly once: a call that timed out is settled by asking the provider for the key. */
    async withholdTopUp(topUpId: string, sellerId: string, amountFen: Fen): Promise<ProviderOutcome> {
      const key = topUpMovementKey(topUpId);
      const outcome = await callByKey(provider, key, () => provider.withhold(key, sellerId, amountFen, TOP_UP_MEMO));
      if (!outcome) throw new ProviderUnavailableError(`withholding ${key}: the provider is unavailable`);
      return outcome;
    },

    async creditTopUp(topUpId: string): Promise<void> {
      await creditTopUp(em(), topUpId, clock.now());
    },

    async refuseTopUp(topUpId: string, code: string): Promise<void> {
      await refuseTopUp(em(), topUpId, code, clock.now());
    },

    /** Stores the seller's card of how the top-up ended (none for one skipped because the setting was off); returns its ids. */
    async storeTopUpCard(topUpId: string): Promise<string[]> {
      const topUp = await em().findOneOrFail(ReserveTopUp, { id: topUpId });
      const card = topUpCard(topUp);
      return card ? notifier.store([card]) : [];
    },
  };
}

export type TopUpActivities = ReturnType<typeof createTopUpActivities>;

function topUpCard(topUp: ReserveTopUp): Card | null {
  const kind = topUp.status === 'DONE' ? 'AUTO_TOP_UP_DONE'
    : topUp.status === 'REFUSED' ? 'AUTO_TOP_UP_REFUSED'
      : topUp.status === 'SKIPPED' && topUp.outcomeCode === 'DAILY_MAX' ? 'AUTO_TOP_UP_DAILY_MAX_REACHED' : null;
  if (!kind) return null;
  const amount = topUp.amountFen;
  return {
    dedupeKey: `top-up:${topUp.id}`,
    recipientId: topUp.sellerId,
    recipientRole: 'seller',
    kind,
    payoutId: null,
    payload: {
      sellerId: topUp.sellerId,
      topUpId: topUp.id,
      status: topUp.status,
      amount,
      amountYuan: amount === null ? null : formatYuan(amount),
      chinaDay: topUp.chinaDay,
      // DAILY_MAX, or the provider's refusal code (then auto top-up is off until set again).
      code: topUp.outcomeCode,
      memo: TOP_UP_MEMO,
    },
  };
}
