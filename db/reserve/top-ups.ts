/**
 * SPEC §5 automatic top-up, the database side: the seller's setting, the crossings that ask for a
 * top-up, and the top-up's three writes (decide, credit, refuse). Each write locks the seller's
 * row first, like every other write of the reserve, and is safe to run twice.
 *
 * A crossing is recorded under the seller's lock: the first one opens a top-up (its id derives
 * from the crossing), and every crossing that comes while it is open joins it. So two concurrent
 * crossings make one top-up, and its workflow id (`top-up-<id>`) makes one workflow of it.
 */
import { LockMode, type EntityManager } from '@mikro-orm/mysql';
import { DomainError } from '../../domain/errors';
import type { Fen } from '../../domain/money';
import { chinaDay } from '../../domain/time';
import type { SettingsActor } from '../audit/entities';
import type { SellerAccount } from './entities';
import { lockSellerAccount, move } from '../ledger/ledger';
import { sendTogether, type Statement } from '../beginless';
import { insertStatement } from '../insert-once';
import { ormReader, type RowReader } from '../direct';
import { SYSTEM_ACTOR, logSettingChange } from '../audit/settings-changes';
import { OPEN_TOP_UP_STATUSES, ReserveTopUp, TopUpCrossing, type TopUpStatus } from './top-up-entities';

/** The memo of a top-up, in the ledger and on the provider's withholding (SPEC §5). */
export const TOP_UP_MEMO = '自动充值';

export interface AutoTopUp {
  threshold: Fen;
  amount: Fen;
  dailyMax: Fen;
}

export function autoTopUpOf(account: SellerAccount | null): AutoTopUp | null {
  if (!account || account.autoTopUpThresholdFen === null || account.autoTopUpAmountFen === null || account.autoTopUpDailyMaxFen === null) return null;
  return { threshold: account.autoTopUpThresholdFen, amount: account.autoTopUpAmountFen, dailyMax: account.autoTopUpDailyMaxFen };
}

function applyAutoTopUp(account: SellerAccount, setting: AutoTopUp | null): void {
  account.autoTopUpThresholdFen = setting?.threshold ?? null;
  account.autoTopUpAmountFen = setting?.amount ?? null;
  account.autoTopUpDailyMaxFen = setting?.dailyMax ?? null;
}

/** Sets or (null) clears the setting; logged once per actual change, in the change's transaction. */
export async function setAutoTopUp(em: EntityManager, sellerId: string, setting: AutoTopUp | null, actor: SettingsActor, now: Date): Promise<void> {
  if (setting && setting.amount > setting.dailyMax) {
    throw new DomainError('VALIDATION_ERROR', 'amount may not exceed dailyMax: no top-up could ever be made', { field: 'body.amount' });
  }
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account?.agreementId) throw new DomainError('AGREEMENT_REQUIRED', 'enable the payout tool (the withholding agreement) before setting an automatic top-up');
    const before = autoTopUpOf(account);
    applyAutoTopUp(account, setting);
    account.updatedAt = now;
    logSettingChange(tx, { sellerId, setting: 'autoTopUp', actor, at: now, before, after: setting });
  });
}

/** Whether a hold of `amountFen` that left `availableAfterFen` took available from ≥ threshold to below it. */
export function holdCrosses(availableAfterFen: Fen, amountFen: Fen, account: SellerAccount): boolean {
  const setting = autoTopUpOf(account);
  return setting !== null && availableAfterFen < setting.threshold && availableAfterFen + amountFen >= setting.threshold;
}

/** The id of a top-up opened by `crossingKey` (`hold:<payout>` → `hold-<payout>`). */
export function topUpIdOf(crossingKey: string): string {
  return crossingKey.replace(':', '-');
}

/** What a crossing writes (`crossingOf`), and the top-up it asked for or joined. */
export interface Crossing {
  /** Null when auto top-up is off. */
  topUpId: string | null;
  /** The writes: the crossing's row, and the top-up's when it opens one; none when recorded already. */
  statements: Statement[];
}

/**
 * A crossing in a transaction that holds the seller's lock: it joins the seller's open top-up, or
 * opens one. Replayed, it answers the top-up the crossing was recorded with, and writes nothing.
 * Its writes go with the transaction's own (the reservation's packet, db/payouts/payouts.ts), so
 * that the crossing commits with the hold or not at all; `read` is the transaction's reader.
 */
export async function crossingOf(em: EntityManager, read: RowReader, account: SellerAccount, crossingKey: string, now: Date): Promise<Crossing> {
  const [recorded] = await read('select top_up_id from top_up_crossings where crossing_key = ?', [crossingKey]);
  if (recorded) return { topUpId: String(recorded.top_up_id), statements: [] };
  if (!autoTopUpOf(account)) return { topUpId: null, statements: [] };
  const [open] = await read(`select id from reserve_top_ups where seller_id = ? and status in (${OPEN_TOP_UP_STATUSES.map(() => '?').join(', ')}) limit 1`, [account.sellerId, ...OPEN_TOP_UP_STATUSES]);
  const topUpId = open ? String(open.id) : topUpIdOf(crossingKey);
  const opened = open ? [] : [insertStatement(em, ReserveTopUp, [{
    id: topUpId, sellerId: account.sellerId, status: 'OPEN' as const, amountFen: null, chinaDay: null, outcomeCode: null, createdAt: now, settledAt: null,
  }])];
  return { topUpId, statements: [...opened, insertStatement(em, TopUpCrossing, [{ crossingKey, topUpId, sellerId: account.sellerId, createdAt: now }])] };
}

/** A payout refused for INSUFFICIENT_RESERVE is a crossing; its refused reservation wrote nothing, so it is recorded on its own. */
export async function recordRefusalCrossing(em: EntityManager, sellerId: string, payoutId: string, now: Date): Promise<string | null> {
  return em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account) return null;
    const crossing = await crossingOf(tx, ormReader(tx), account, `refused:${payoutId}`, now);
    await sendTogether(tx, crossing.statements);
    return crossing.topUpId;
  });
}

/** The top-up a crossing asked for or joined, if one was recorded (a replayed reservation reads it). */
export async function topUpOfCrossing(em: EntityManager, crossingKey: string): Promise<string | null> {
  return (await em.findOne(TopUpCrossing, { crossingKey }))?.topUpId ?? null;
}

/** What the top-up's workflow does next. */
export type TopUpDecision =
  | { kind: 'withhold'; sellerId: string; amountFen: Fen }
  | { kind: 'skipped'; sellerId: string; reason: 'DAILY_MAX' | 'OFF'; amountFen: Fen | null; dailyMaxFen: Fen | null; todayFen: Fen }
  | { kind: 'settled'; sellerId: string; status: TopUpStatus };

async function lockTopUp(tx: EntityManager, topUpId: string) {
  const { sellerId } = await tx.findOneOrFail(ReserveTopUp, { id: topUpId }, { fields: ['sellerId'] });
  const account = await lockSellerAccount(tx, sellerId);
  const topUp = await tx.findOneOrFail(ReserveTopUp, { id: topUpId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
  if (!account) throw new Error(`top-up ${topUpId} has no seller account ${sellerId}`);
  return { account, topUp };
}

/** The China day's top-ups that withheld or are withholding. */
async function dayTotal(tx: EntityManager, sellerId: string, day: string): Promise<Fen> {
  const rows = await tx.find(ReserveTopUp, { sellerId, chinaDay: day, status: { $in: ['WITHHOLDING', 'DONE'] } }, { fields: ['amountFen'] });
  return rows.reduce((sum, row) => sum + (row.amountFen ?? 0), 0);
}

/**
 * Decides an open top-up under the seller's lock, with the setting in force now: withhold its
 * `amount` (counted in the day at once, so concurrent top-ups cannot both pass `dailyMax`), or skip
 * it. Replayed, it answers what was decided.
 */
export async function decideTopUp(em: EntityManager, topUpId: string, now: Date): Promise<TopUpDecision> {
  return em.transactional(async (tx) => {
    const { account, topUp } = await lockTopUp(tx, topUpId);
    const sellerId = account.sellerId;
    if (topUp.status === 'WITHHOLDING') return { kind: 'withhold', sellerId, amountFen: topUp.amountFen! };
    if (topUp.status !== 'OPEN') return { kind: 'settled', sellerId, status: topUp.status };
    const setting = autoTopUpOf(account);
    const day = chinaDay(now);
    const todayFen = await dayTotal(tx, sellerId, day);
    topUp.chinaDay = day;
    if (!setting || todayFen + setting.amount > setting.dailyMax) {
      topUp.status = 'SKIPPED';
      topUp.amountFen = setting?.amount ?? null;
      topUp.outcomeCode = setting ? 'DAILY_MAX' : 'OFF';
      topUp.settledAt = now;
      return { kind: 'skipped', sellerId, reason: setting ? 'DAILY_MAX' : 'OFF', amountFen: setting?.amount ?? null, dailyMaxFen: setting?.dailyMax ?? null, todayFen };
    }
    topUp.status = 'WITHHOLDING';
    topUp.amountFen = setting.amount;
    return { kind: 'withhold', sellerId, amountFen: setting.amount };
  });
}

/** The ledger and provider key of a top-up's withholding. */
export const topUpMovementKey = (topUpId: string) => `top-up:${topUpId}`;

/** Credits the withheld amount to available (a RECHARGE with the memo 自动充值); returns available after. */
export async function creditTopUp(em: EntityManager, topUpId: string, now: Date): Promise<{ availableFen: Fen }> {
  return em.transactional(async (tx) => {
    const { account, topUp } = await lockTopUp(tx, topUpId);
    if (topUp.status === 'WITHHOLDING') {
      await move(tx, account, { key: topUpMovementKey(topUpId), kind: 'RECHARGE', amountFen: topUp.amountFen!, memo: TOP_UP_MEMO, at: now });
      topUp.status = 'DONE';
      topUp.settledAt = now;
    }
    return { availableFen: account.availableFen };
  });
}

/**
 * The provider refused the withholding: the top-up ends REFUSED and auto top-up is turned off, a
 * change by the system in the settings change log, until the seller sets it again.
 */
export async function refuseTopUp(em: EntityManager, topUpId: string, code: string, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    const { account, topUp } = await lockTopUp(tx, topUpId);
    if (topUp.status !== 'WITHHOLDING') return;
    topUp.status = 'REFUSED';
    topUp.outcomeCode = code;
    topUp.settledAt = now;
    const before = autoTopUpOf(account);
    applyAutoTopUp(account, null);
    account.updatedAt = now;
    logSettingChange(tx, { sellerId: account.sellerId, setting: 'autoTopUp', actor: SYSTEM_ACTOR, at: now, before, after: null });
  });
}
