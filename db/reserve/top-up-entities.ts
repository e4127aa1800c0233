/**
 * SPEC §5 automatic top-up: one row per top-up, and one per crossing that asked for it. Crossings
 * that meet while a top-up is open join it, so that concurrent crossings make one top-up.
 */
import type { InferEntity } from '@mikro-orm/core';
import { fen, initially, orNull, p, table, time } from '../columns';

/**
 * OPEN: asked for, not yet decided. WITHHOLDING: counted in the China day's top-ups, the provider
 * asked. DONE: credited. SKIPPED: not made (the day's `dailyMax`, or the setting turned off).
 * REFUSED: the provider refused the withholding; the setting was turned off.
 */
export type TopUpStatus = 'OPEN' | 'WITHHOLDING' | 'DONE' | 'SKIPPED' | 'REFUSED';
export const OPEN_TOP_UP_STATUSES: readonly TopUpStatus[] = ['OPEN', 'WITHHOLDING'];

export const ReserveTopUp = table('ReserveTopUp', 'reserve_top_ups', {
  id: p.string().primary().length(100),
  sellerId: p.string().length(64),
  status: p.string().$type<TopUpStatus>().length(16).onCreate(initially('OPEN')),
  /** Set when it is decided: the setting's amount at that moment. */
  amountFen: orNull(fen()),
  /** The China day whose `dailyMax` it counts towards (the day it was decided). */
  chinaDay: orNull(p.string().columnType('date')),
  /** Why it was skipped (`DAILY_MAX`, `OFF`) or the provider's refusal code. */
  outcomeCode: orNull(p.string().length(64)),
  createdAt: time(),
  settledAt: orNull(time()),
});
export type ReserveTopUp = InferEntity<typeof ReserveTopUp>;

/** A crossing (`hold:<payout>`, `refused:<payout>`) and the top-up it asked for or joined. */
export const TopUpCrossing = table('TopUpCrossing', 'top_up_crossings', {
  crossingKey: p.string().primary().length(120),
  topUpId: p.string().length(100),
  sellerId: p.string().length(64),
  createdAt: time(),
});
export type TopUpCrossing = InferEntity<typeof TopUpCrossing>;

export const TOP_UP_ENTITIES = [ReserveTopUp, TopUpCrossing];
