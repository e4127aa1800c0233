/** SPEC §3: the seller's payout account (enable, limits, disable, recharge, statement, sub-accounts). */
import {
  accountView, disableAccount, enableAccount, requireAgreement, setLimits, setApprovalPolicy, setLowBalanceThreshold, setSubAccountPermission,
  statementExceedsRows, statementPage, statementRows, subAccountsPage, type StatementFilter,
} from '../../db/reserve/accounts';
import type { LedgerEntry } from '../../db/ledger/entities';
import { movementByKey } from '../../db/ledger/ledger';
import type { SubAccount } from '../../db/reserve/entities';
import { setAutoTopUp } from '../../db/reserve/top-ups';
import { mapPage } from '../../db/pagination';
import { DomainError } from '../../domain/errors';
import { asId, optionalId } from '../../domain/id';
import { formatYuan } from '../../domain/money';
import { chinaDay } from '../../domain/time';
import type { Principal } from '../auth';
import { boundedCsvExport, type CsvCell } from '../csv';
import { idFromKey, withIdempotency } from '../idempotency';
import { instantParam } from '../query-dates';
import { principalOf, type Call, type Handler, type QueryParams, type Schemas } from '../types';
import { actorOf, sellerOf } from './scope';

export function toMovement(entry: LedgerEntry): Schemas['Movement'] {
  return {
    id: entry.movementKey,
    kind: entry.kind,
    amount: entry.amountFen,
    memo: entry.memo,
    payoutId: entry.payoutId,
    availableAfter: entry.availableAfterFen,
    heldAfter: entry.heldAfterFen,
    createdAt: entry.createdAt.toISOString(),
  };
}

export const getPayoutAccount: Handler<'getPayoutAccount'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  return { status: 200, body: await accountView(call.em, sellerId, call.deps.clock.now()) };
};

export const enablePayoutAccount: Handler<'enablePayoutAccount'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = sellerOf(principal);
  const { agreement, limits, lowBalanceThreshold } = call.body;
  const signed = await call.deps.provider.signAgreement(sellerId, agreement.authCode);
  if (signed.status === 'REFUSED') {
    throw new DomainError('AGREEMENT_REFUSED', `the payment provider refused the withholding agreement (${signed.code})`, { providerCode: signed.code });
  }
  await enableAccount(call.em, sellerId, { agreementId: signed.agreementId, limits, lowBalanceThreshold }, actorOf(principal), call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

export const putPayoutLimits: Handler<'putPayoutLimits'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  await setLimits(call.em, sellerId, call.body, actorOf(principalOf(call)), call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

export const disablePayoutAccount: Handler<'disablePayoutAccount'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  await disableAccount(call.em, sellerId, actorOf(principalOf(call)), call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

/**
 * A recharge is a workflow (workflows/reserve/recharge.ts): withhold through the provider, then
 * credit available, both under the recharge's key, the id derived from the Idempotency-Key. The
 * answer is the workflow's within about 10 s, else 503 while it goes on; a retry with the key
 * joins the same workflow and answers with its result.
 */
export const createRecharge: Handler<'createRecharge'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = sellerOf(principal);
  const outcome = await withIdempotency(call.em, idempotencyScope(call, 'recharge'), async () => {
    await requireAgreement(call.em, sellerId);
    const rechargeId = idFromKey('recharge', principal, call.idempotencyKey);
    const movementKey = await call.deps.reserve.recharge(rechargeId, sellerId, call.body.amount);
    return { status: 201, body: toMovement(await movementByKey(call.em.fork(), movementKey)) };
  });
  return outcome as { status: 201; body: Schemas['Movement'] };
};

/**
 * A withdrawal is a workflow (workflows/reserve/withdrawal.ts): debit available (where, and only
 * where, the balance is checked), have the provider pay it back under the withdrawal's key, void
 * the debit if the provider refuses for good, then the low-balance card. Answered like a recharge.
 * The agreement is checked here first only so that a seller without one is told so at once: an
 * agreement, once signed, is never taken away, so the check cannot refuse a retry.
 */
export const createWithdrawal: Handler<'createWithdrawal'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = sellerOf(principal);
  const outcome = await withIdempotency(call.em, idempotencyScope(call, 'withdrawal'), async () => {
    await requireAgreement(call.em, sellerId);
    const withdrawalId = idFromKey('withdrawal', principal, call.idempotencyKey);
    const movementKey = await call.deps.reserve.withdraw(withdrawalId, sellerId, call.body.amount);
    return { status: 201, body: toMovement(await movementByKey(call.em.fork(), movementKey)) };
  });
  return outcome as { status: 201; body: Schemas['Movement'] };
};

export const putLowBalanceAlert: Handler<'putLowBalanceAlert'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  await setLowBalanceThreshold(call.em, sellerId, call.body.threshold ?? null, actorOf(principalOf(call)), call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

/** SPEC §5 maker-checker: the main account's threshold for sub-accounts' payouts; null turns approval off. */
export const putApprovalPolicy: Handler<'putApprovalPolicy'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = sellerOf(principal);
  await setApprovalPolicy(call.em, sellerId, { subAccountThreshold: call.body.subAccountThreshold }, actorOf(principal), call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

/** SPEC §5 automatic top-up: the setting, or null to turn it off (db/reserve/top-ups.ts). */
export const putAutoTopUp: Handler<'putAutoTopUp'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = sellerOf(principal);
  await setAutoTopUp(call.em, sellerId, call.body ?? null, actorOf(principal), call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

function idempotencyScope(call: Call<'createRecharge' | 'createWithdrawal'>, operation: string) {
  return { principal: principalOf(call), operation, key: call.idempotencyKey, body: call.body, now: call.deps.clock.now(), log: call.log };
}

/** The seller whose statement is read: a seller's own; the one an auditor names. */
function statementFilter(principal: Principal, q: QueryParams<'getStatement'> | QueryParams<'exportStatement'>): StatementFilter {
  const sellerId = principal.role === 'auditor' ? optionalId(q.sellerId) : sellerOf(principal);
  if (!sellerId) throw new DomainError('VALIDATION_ERROR', 'auditors name the seller with sellerId', { field: 'query.sellerId' });
  const from = instantParam(q.from, 'from');
  const to = instantParam(q.to, 'to');
  if (from && to && from.getTime() >= to.getTime()) throw new DomainError('VALIDATION_ERROR', 'from must come before to', { field: 'query.from' });
  return { sellerId, from, to, kind: q.kind };
}

export const getStatement: Handler<'getStatement'> = async (call) => {
  const page = await statementPage(call.em, statementFilter(principalOf(call), call.query), call.query);
  return { status: 200, body: mapPage(page, toMovement) };
};

export const STATEMENT_EXPORT_HEADER = ['id', 'kind', 'amountYuan', 'memo', 'payoutId', 'availableAfterYuan', 'heldAfterYuan', 'chinaDay', 'createdAt'] as const;

function toStatementCells(entry: LedgerEntry): CsvCell[] {
  return [
    entry.movementKey, entry.kind, formatYuan(entry.amountFen), entry.memo, entry.payoutId,
    formatYuan(entry.availableAfterFen), formatYuan(entry.heldAfterFen), chinaDay(entry.createdAt), entry.createdAt.toISOString(),
  ];
}

/** The statement as CSV, written and bounded like the payout export (api/csv.ts, EXPORT_ROWS_MAX). */
export const exportStatement: Handler<'exportStatement'> = async (call) => {
  const filter = statementFilter(principalOf(call), call.query);
  return boundedCsvExport(
    { noun: 'movements', tooLarge: statementExceedsRows(call.em, filter), rows: () => statementRows(call.em, filter) },
    STATEMENT_EXPORT_HEADER, toStatementCells,
  );
};

function toSubAccount(sub: SubAccount): Schemas['SubAccount'] {
  return { id: sub.subAccountId, sellerId: sub.sellerId, permissions: { payout: sub.canPayout } };
}

export const listSubAccounts: Handler<'listSubAccounts'> = async (call) => {
  const page = await subAccountsPage(call.em, sellerOf(principalOf(call)), call.query);
  return { status: 200, body: mapPage(page, toSubAccount) };
};

export const putSubAccountPermissions: Handler<'putSubAccountPermissions'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  const sub = await setSubAccountPermission(call.em, sellerId, asId(call.params.id), call.body.payout, actorOf(principalOf(call)), call.deps.clock.now());
  return { status: 200, body: toSubAccount(sub) };
};
