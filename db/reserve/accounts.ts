/**
 * The seller's reserve account: enabling, limits, recharge, statement. Money movements go through
 * the ledger (`move`) under the seller's row lock, keyed so that a retry moves nothing twice.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager, FilterQuery } from '@mikro-orm/mysql';
import { DomainError } from '../../domain/errors';
import type { Id } from '../../domain/id';
import type { Fen } from '../../domain/money';
import { SYSTEM_CAPS, checkLimits, type Limits } from '../../domain/rules';
import { chinaDay } from '../../domain/time';
import type { SettingsActor } from '../audit/entities';
import { SellerAccount, SubAccount, limitColumns, limitsOf } from './entities';
import { dayUsage } from '../payouts/day-tallies';
import { LedgerEntry, type MovementKind } from '../ledger/entities';
import { lockSellerAccount, move } from '../ledger/ledger';
import { filteredRows, findPage, timeRange, type Keyset, type Page, type PageRequest } from '../pagination';
import { logSettingChange } from '../audit/settings-changes';
import { autoTopUpOf, type AutoTopUp } from './top-ups';

export interface AccountView {
  sellerId: string;
  enabled: boolean;
  agreementSigned: boolean;
  limits: Limits | null;
  systemCaps: Limits;
  balance: { available: Fen; held: Fen };
  today: { day: string; count: number; amount: Fen };
  lowBalanceThreshold: Fen | null;
  /** SPEC §5 maker-checker: sub-accounts' payouts of at least this wait for the main account's approval. */
  approvalPolicy: ApprovalPolicy;
  /** SPEC §5 automatic top-up; null: off. */
  autoTopUp: AutoTopUp | null;
}

export interface ApprovalPolicy {
  subAccountThreshold: Fen | null;
}

export async function accountView(em: EntityManager, sellerId: Id, now: Date): Promise<AccountView> {
  const day = chinaDay(now);
  const [account, usage] = await Promise.all([
    em.findOne(SellerAccount, { sellerId }, { refresh: true }),
    dayUsage(em, sellerId, day),
  ]);
  return {
    sellerId,
    enabled: account?.enabled ?? false,
    agreementSigned: Boolean(account?.agreementId),
    limits: account ? limitsOf(account) : null,
    systemCaps: { ...SYSTEM_CAPS },
    balance: { available: account?.availableFen ?? 0, held: account?.heldFen ?? 0 },
    today: { day, count: usage.count, amount: usage.amountFen },
    lowBalanceThreshold: account?.lowBalanceThresholdFen ?? null,
    approvalPolicy: { subAccountThreshold: account?.approvalThresholdFen ?? null },
    autoTopUp: autoTopUpOf(account),
  };
}

/** The account's settings as the change log records them; a seller without an account has none. */
function settingsOf(account: SellerAccount | null) {
  return {
    enabled: account?.enabled ?? false,
    limits: account ? limitsOf(account) : null,
    lowBalanceThreshold: account?.lowBalanceThresholdFen ?? null,
  };
}

/** Logs each setting of the account that the change moved, in the change's transaction. */
function logAccountChanges(tx: EntityManager, sellerId: string, actor: SettingsActor, at: Date, before: ReturnType<typeof settingsOf>, account: SellerAccount): void {
  const after = settingsOf(account);
  for (const setting of ['enabled', 'limits', 'lowBalanceThreshold'] as const) {
    logSettingChange(tx, { sellerId, setting, actor, at, before: before[setting], after: after[setting] });
  }
}

/** Enables the tool with a signed agreement and the seller's limits (each at or below its cap). */
export async function enableAccount(
  em: EntityManager,
  sellerId: Id,
  input: { agreementId: string; limits: Limits; lowBalanceThreshold?: Fen },
  actor: SettingsActor,
  now: Date,
): Promise<void> {
  const refused = checkLimits(input.limits);
  if (refused) throw refused;
  await em.transactional(async (tx) => {
    const existing = await lockSellerAccount(tx, sellerId);
    const before = settingsOf(existing);
    const account = existing ?? tx.create(SellerAccount, {
      sellerId, ...limitColumns(input.limits), agreementId: null, agreementSignedAt: null,
      lowBalanceThresholdFen: null, approvalThresholdFen: null, createdAt: now, updatedAt: now,
    });
    tx.assign(account, limitColumns(input.limits));
    account.enabled = true;
    if (account.agreementId !== input.agreementId) {
      account.agreementId = input.agreementId;
      account.agreementSignedAt = now;
    }
    if (input.lowBalanceThreshold !== undefined) account.lowBalanceThresholdFen = input.lowBalanceThreshold;
    account.updatedAt = now;
    tx.persist(account);
    logAccountChanges(tx, sellerId, actor, now, before, account);
  });
}

export async function setLimits(em: EntityManager, sellerId: Id, limits: Limits, actor: SettingsActor, now: Date): Promise<void> {
  const refused = checkLimits(limits);
  if (refused) throw refused;
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account?.agreementId) throw new DomainError('AGREEMENT_REQUIRED', 'enable the payout tool before setting limits');
    const before = settingsOf(account);
    tx.assign(account, limitColumns(limits));
    account.updatedAt = now;
    logAccountChanges(tx, sellerId, actor, now, before, account);
  });
}

/** Stops new payouts at once; pending ones run to their end (their workflows do not look at this flag). */
export async function disableAccount(em: EntityManager, sellerId: Id, actor: SettingsActor, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account) return;
    const before = settingsOf(account);
    account.enabled = false;
    account.updatedAt = now;
    logAccountChanges(tx, sellerId, actor, now, before, account);
  });
}

/** The seller's account, which must hold a signed agreement (recharge, withdrawal). */
export async function requireAgreement(em: EntityManager, sellerId: Id): Promise<SellerAccount> {
  const account = await em.findOne(SellerAccount, { sellerId });
  if (!account?.agreementId) throw new DomainError('AGREEMENT_REQUIRED', 'the withholding agreement is not signed');
  return account;
}

/** The key of a recharge's movement, and of its withholding at the provider: one key in both books. */
export const rechargeKey = (rechargeId: string) => `recharge:${rechargeId}`;
/** The key of a withdrawal's movement, and of its pay-back at the provider. */
export const withdrawalKey = (withdrawalId: string) => `withdrawal:${withdrawalId}`;

/** Credits a recharge the provider has withheld; keyed by the recharge id. */
export async function creditRecharge(em: EntityManager, sellerId: Id, rechargeId: string, amountFen: Fen, now: Date): Promise<LedgerEntry> {
  const key = rechargeKey(rechargeId);
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account) throw new Error(`seller ${sellerId} has no account`);
    await move(tx, account, { key, kind: 'RECHARGE', amountFen, memo: '准备金充值', at: now });
  });
  return em.fork().findOneOrFail(LedgerEntry, { movementKey: key });
}

/** The statement's filters (SPEC §8): `[from, to)` on the movement's time, and its kind. */
export interface StatementFilter {
  sellerId: Id;
  from?: Date;
  to?: Date;
  kind?: MovementKind;
}

/**
 * The statement is the ledger in the order it was written (newest first, by id), so that each
 * movement's balances follow from the one before; the (seller_id, id) index holds the key.
 */
const STATEMENT_KEYSET: Keyset<LedgerEntry> = { columns: [{ name: 'id', kind: 'integer' }], direction: 'desc' };

function statementWhere(filter: StatementFilter): FilterQuery<LedgerEntry> {
  const where: FilterQuery<LedgerEntry> = { sellerId: filter.sellerId };
  if (filter.kind) where.kind = filter.kind;
  const createdAt = timeRange(filter.from, filter.to);
  if (createdAt) where.createdAt = createdAt;
  return where;
}

const STATEMENT_ROWS = filteredRows(LedgerEntry, statementWhere, STATEMENT_KEYSET);
/** One page of the movements that match, newest first. */
export const statementPage = STATEMENT_ROWS.page;
/** Whether more movements match than one export may hold. */
export const statementExceedsRows = STATEMENT_ROWS.exceedsRows;
/** Every movement that matches, newest first, one keyset page per query (the CSV export). */
export const statementRows = STATEMENT_ROWS.rows;

/** Sub-accounts are listed by id; the (seller_id, sub_account_id) primary key holds the key. */
const SUB_ACCOUNT_KEYSET: Keyset<SubAccount> = { columns: [{ name: 'subAccountId', kind: 'string' }], direction: 'asc' };

/** The seller's sub-accounts: every one the seller has ever set permissions on, granted or not. */
export function subAccountsPage(em: EntityManager, sellerId: Id, page: PageRequest): Promise<Page<SubAccount>> {
  return findPage(em, SubAccount, { sellerId }, SUB_ACCOUNT_KEYSET, page);
}

/**
 * Whether the seller's sub-account holds the payout permission now: read on every request a
 * sub-account makes, so that a revocation takes effect at once. One hand-written read of the key
 * (issue 18: the ORM's find pipeline, for a boolean, on each of a hot seller's creates); the ids
 * it answers must equal the token's exactly, whatever the column's collation compares equal.
 */
export async function subAccountMayPayout(em: EntityManager, sellerId: string, subAccountId: string): Promise<boolean> {
  if (typeof sellerId !== 'string' || typeof subAccountId !== 'string') throw new TypeError('subAccountMayPayout needs id strings');
  const rows: { seller_id: string; sub_account_id: string; can_payout: unknown }[] = await em.getConnection().execute(
    'select seller_id, sub_account_id, can_payout from sub_accounts where seller_id = ? and sub_account_id = ?',
    [sellerId, subAccountId],
  );
  return rows.some((row) => row.seller_id === sellerId && row.sub_account_id === subAccountId && Boolean(Number(row.can_payout)));
}

/**
 * Grants or revokes the payout permission. Rows are keyed by seller and sub-account, so a seller
 * only ever reads and writes its own (another seller cannot claim a sub-account's id first).
 */
export async function setSubAccountPermission(
  em: EntityManager, sellerId: Id, subAccountId: Id, payout: boolean, actor: SettingsActor, now: Date,
): Promise<SubAccount> {
  return em.transactional(async (tx) => {
    const existing = await tx.findOne(SubAccount, { sellerId, subAccountId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const sub = existing ?? tx.create(SubAccount, { sellerId, subAccountId, updatedAt: now });
    const before = { subAccountId, payout: sub.canPayout };
    sub.canPayout = payout;
    sub.updatedAt = now;
    tx.persist(sub);
    logSettingChange(tx, { sellerId, setting: 'subAccountPermission', actor, at: now, before, after: { subAccountId, payout } });
    return sub;
  });
}

/**
 * Takes a withdrawal out of available (never held money), keyed by the withdrawal id. Done before
 * the provider pays the money back, so a payout racing it cannot spend the same fen.
 */
export async function debitWithdrawal(em: EntityManager, sellerId: Id, withdrawalId: string, amountFen: Fen, now: Date): Promise<LedgerEntry> {
  const key = withdrawalKey(withdrawalId);
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account?.agreementId) throw new DomainError('AGREEMENT_REQUIRED', 'the withholding agreement is not signed');
    await move(tx, account, { key, kind: 'WITHDRAWAL', amountFen, memo: '准备金提现', at: now });
  });
  return em.fork().findOneOrFail(LedgerEntry, { movementKey: key });
}

/** Returns a withdrawal the provider refused for good to available. */
export async function voidWithdrawal(em: EntityManager, sellerId: Id, withdrawalId: string, amountFen: Fen, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account) throw new Error(`seller ${sellerId} has no account`);
    await move(tx, account, { key: `withdrawal-void:${withdrawalId}`, kind: 'WITHDRAWAL_VOID', amountFen, memo: '提现退回', at: now });
  });
}

export async function setLowBalanceThreshold(em: EntityManager, sellerId: Id, thresholdFen: Fen | null, actor: SettingsActor, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account?.agreementId) throw new DomainError('AGREEMENT_REQUIRED', 'enable the payout tool before setting an alert');
    const before = settingsOf(account);
    account.lowBalanceThresholdFen = thresholdFen;
    account.updatedAt = now;
    logAccountChanges(tx, sellerId, actor, now, before, account);
  });
}

/**
 * Sets the maker-checker policy (SPEC §5). A PUT: repeating it changes nothing and logs nothing
 * (the change log skips a write that leaves the setting as it was). It applies to payouts reserved
 * after it commits; a payout already waiting for approval keeps waiting.
 */
export async function setApprovalPolicy(em: EntityManager, sellerId: Id, policy: ApprovalPolicy, actor: SettingsActor, now: Date): Promise<void> {
  await em.transactional(async (tx) => {
    const account = await lockSellerAccount(tx, sellerId);
    if (!account?.agreementId) throw new DomainError('AGREEMENT_REQUIRED', 'enable the payout tool before setting an approval policy');
    const before: ApprovalPolicy = { subAccountThreshold: account.approvalThresholdFen };
    account.approvalThresholdFen = policy.subAccountThreshold;
    account.updatedAt = now;
    logSettingChange(tx, { sellerId, setting: 'approvalPolicy', actor, at: now, before, after: policy });
  });
}

/** A low-balance crossing: available after the movement, and the threshold it fell below. */
export type LowBalanceCrossing = { available: Fen; threshold: Fen } | null;

/**
 * The low-balance alert (SPEC §3): whether a movement that took `amountFen` from available,
 * leaving `availableAfterFen`, took it from at or above the threshold to below it. Only the
 * crossing alerts, not every movement below.
 */
export function lowBalanceCrossing(availableAfterFen: Fen, amountFen: Fen, threshold: Fen | null): LowBalanceCrossing {
  if (threshold === null) return null;
  const before = availableAfterFen + amountFen;
  return availableAfterFen < threshold && before >= threshold ? { available: availableAfterFen, threshold } : null;
}

/** The crossing of the movement recorded under `movementKey`, read back from the ledger. */
export async function crossedLowBalance(em: EntityManager, sellerId: string, movementKey: string): Promise<LowBalanceCrossing> {
  const [account, entry] = await Promise.all([
    em.findOne(SellerAccount, { sellerId }),
    em.findOne(LedgerEntry, { movementKey }),
  ]);
  if (!account || !entry) return null;
  return lowBalanceCrossing(entry.availableAfterFen, entry.amountFen, account.lowBalanceThresholdFen);
}
