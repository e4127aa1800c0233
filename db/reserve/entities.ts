/**
 * The reserve account: the seller's balances and limits, its sub-accounts, and each day's usage.
 * `default` restates the columns' database defaults; `onCreate` gives a new row the same value at
 * `em.create`, so that nothing is read back after the insert.
 */
import type { InferEntity } from '@mikro-orm/core';
import type { Limits } from '../../domain/rules';
import { fen, id, initially, orNull, p, table, time } from '../columns';

export const SellerAccount = table('SellerAccount', 'seller_accounts', {
  sellerId: id().primary().length(64),
  enabled: p.boolean().default(false).onCreate(initially(false)),
  agreementId: orNull(p.string()),
  agreementSignedAt: orNull(time()),
  dailyCountLimit: p.integer(),
  dailyAmountLimitFen: fen(),
  perPayoutLimitFen: fen(),
  lowBalanceThresholdFen: orNull(fen()),
  /** SPEC §5 maker-checker: a sub-account's payout of at least this waits for the main account; null: never. */
  approvalThresholdFen: orNull(fen()),
  /** SPEC §5 automatic top-up (db/reserve/top-ups.ts): all three set, or all three null (off). */
  autoTopUpThresholdFen: orNull(fen()),
  autoTopUpAmountFen: orNull(fen()),
  autoTopUpDailyMaxFen: orNull(fen()),
  availableFen: fen().default(0).onCreate(initially(0)),
  heldFen: fen().default(0).onCreate(initially(0)),
  createdAt: time(),
  updatedAt: time(),
});
export type SellerAccount = InferEntity<typeof SellerAccount>;

/** The limits as the rules speak of them. */
export function limitsOf(account: SellerAccount): Limits {
  return { dailyCount: account.dailyCountLimit, dailyAmount: account.dailyAmountLimitFen, perPayoutAmount: account.perPayoutLimitFen };
}

/** The account's columns that hold `limits`. */
export function limitColumns(limits: Limits): Pick<SellerAccount, 'dailyCountLimit' | 'dailyAmountLimitFen' | 'perPayoutLimitFen'> {
  return { dailyCountLimit: limits.dailyCount, dailyAmountLimitFen: limits.dailyAmount, perPayoutLimitFen: limits.perPayoutAmount };
}

export const SubAccount = table('SubAccount', 'sub_accounts', {
  sellerId: id().primary(),
  subAccountId: id().primary(),
  canPayout: p.boolean().default(false).onCreate(initially(false)),
  updatedAt: time(),
});
export type SubAccount = InferEntity<typeof SubAccount>;

export const RESERVE_ENTITIES = [SellerAccount, SubAccount];
