/**
 * SPEC §5 automatic top-up: one row per top-up, and one per crossing that asked for it. Crossings
 * that meet while a top-up is open join it, so that concurrent crossings make one top-up.
 */
import { BigIntType, EntitySchema } from '@mikro-orm/core';
import type { Fen } from '../../domain/money';

/**
 * OPEN: asked for, not yet decided. WITHHOLDING: counted in the China day's top-ups, the provider
 * asked. DONE: credited. SKIPPED: not made (the day's `dailyMax`, or the setting turned off).
 * REFUSED: the provider refused the withholding; the setting was turned off.
 */
export type TopUpStatus = 'OPEN' | 'WITHHOLDING' | 'DONE' | 'SKIPPED' | 'REFUSED';
export const OPEN_TOP_UP_STATUSES: readonly TopUpStatus[] = ['OPEN', 'WITHHOLDING'];

export class ReserveTopUp {
  status: TopUpStatus = 'OPEN';
  /** Set when it is decided: the setting's amount at that moment. */
  amountFen: Fen | null = null;
  /** The China day whose `dailyMax` it counts towards (the day it was decided). */
  chinaDay: string | null = null;
  /** Why it was skipped (`DAILY_MAX`, `OFF`) or the provider's refusal code. */
  outcomeCode: string | null = null;
  settledAt: Date | null = null;
  constructor(
    readonly id: string,
    readonly sellerId: string,
    readonly createdAt: Date,
  ) {}
}

export const ReserveTopUpSchema = new EntitySchema<ReserveTopUp>({
  class: ReserveTopUp,
  tableName: 'reserve_top_ups',
  properties: {
    id: { type: 'string', primary: true, length: 100 },
    sellerId: { type: 'string', length: 64 },
    status: { type: 'string', length: 16 },
    amountFen: { type: new BigIntType('number'), nullable: true },
    chinaDay: { type: 'string', columnType: 'date', nullable: true },
    outcomeCode: { type: 'string', length: 64, nullable: true },
    createdAt: { type: 'datetime', length: 3 },
    settledAt: { type: 'datetime', length: 3, nullable: true },
  },
});

/** A crossing (`hold:<payout>`, `refused:<payout>`) and the top-up it asked for or joined. */
export class TopUpCrossing {
  constructor(
    readonly crossingKey: string,
    readonly topUpId: string,
    readonly sellerId: string,
    readonly createdAt: Date,
  ) {}
}

export const TopUpCrossingSchema = new EntitySchema<TopUpCrossing>({
  class: TopUpCrossing,
  tableName: 'top_up_crossings',
  properties: {
    crossingKey: { type: 'string', primary: true, length: 120 },
    topUpId: { type: 'string', length: 100 },
    sellerId: { type: 'string', length: 64 },
    createdAt: { type: 'datetime', length: 3 },
  },
});

export const TOP_UP_ENTITIES = [ReserveTopUpSchema, TopUpCrossingSchema];
