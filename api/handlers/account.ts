/** SPEC §3: the seller's payout account (enable, limits, disable, recharge, statement, sub-accounts). */
import { accountView, creditRecharge, disableAccount, enableAccount, requireAgreement, setLimits, setSubAccountPermission, statementPage } from '../../db/accounts';
import type { LedgerEntry } from '../../db/entities';
import { DomainError } from '../../domain/errors';
import { ProviderUnavailableError } from '../../provider/provider';
import { idFromKey, withIdempotency } from '../idempotency';
import { principalOf, type Handler, type Schemas } from '../types';
import { sellerOf } from './scope';

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
  const sellerId = sellerOf(principalOf(call));
  const { agreement, limits, lowBalanceThreshold } = call.body;
  const signed = await call.deps.provider.signAgreement(sellerId, agreement.authCode);
  if (signed.status === 'REFUSED') {
    throw new DomainError('AGREEMENT_REFUSED', `the payment provider refused the withholding agreement (${signed.code})`, { providerCode: signed.code });
  }
  await enableAccount(call.em, sellerId, { agreementId: signed.agreementId, limits, lowBalanceThreshold }, call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

export const putPayoutLimits: Handler<'putPayoutLimits'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  await setLimits(call.em, sellerId, call.body, call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

export const disablePayoutAccount: Handler<'disablePayoutAccount'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  await disableAccount(call.em, sellerId, call.deps.clock.now());
  return { status: 200, body: await accountView(call.em.fork(), sellerId, call.deps.clock.now()) };
};

/**
 * Withholds through the provider, then credits available. The recharge id (from the
 * Idempotency-Key) is the provider's key and the ledger's, so a retry after a timeout finds the
 * money the provider took and credits it once.
 */
export const createRecharge: Handler<'createRecharge'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = sellerOf(principal);
  const now = call.deps.clock.now();
  const outcome = await withIdempotency(call.em, { principal: principal.id, operation: 'recharge', key: call.idempotencyKey, body: call.body, now }, async () => {
    await requireAgreement(call.em, sellerId);
    const rechargeId = idFromKey(`recharge:${principal.id}`, call.idempotencyKey);
    const providerKey = `recharge:${rechargeId}`;
    let result;
    try {
      result = await call.deps.provider.withhold(providerKey, sellerId, call.body.amount);
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      const recorded = await call.deps.provider.findTransaction(providerKey).catch(() => null);
      if (!recorded) throw new DomainError('SERVICE_UNAVAILABLE', 'the payment provider is unavailable; retry with the same Idempotency-Key');
      result = recorded.status === 'SUCCEEDED' ? { status: 'SUCCEEDED' as const } : { status: 'REFUSED' as const, code: recorded.refusalCode ?? 'REFUSED' };
    }
    if (result.status === 'REFUSED') throw new DomainError('PROVIDER_REFUSED', `the payment provider refused the withholding (${result.code})`, { providerCode: result.code });
    const entry = await creditRecharge(call.em.fork(), sellerId, rechargeId, call.body.amount, call.deps.clock.now());
    return { status: 201, body: toMovement(entry) };
  });
  return outcome as { status: 201; body: Schemas['Movement'] };
};

export const getStatement: Handler<'getStatement'> = async (call) => {
  const principal = principalOf(call);
  const sellerId = principal.role === 'auditor' ? call.query.sellerId : sellerOf(principal);
  if (!sellerId) throw new DomainError('VALIDATION_ERROR', 'auditors name the seller with sellerId', { field: 'query.sellerId' });
  const before = call.query.cursor ? Number(Buffer.from(call.query.cursor, 'base64url').toString('utf8')) : null;
  if (before !== null && !Number.isSafeInteger(before)) throw new DomainError('VALIDATION_ERROR', 'the cursor is not valid', { field: 'query.cursor' });
  const page = await statementPage(call.em, sellerId, before, call.query.limit ?? 20);
  return {
    status: 200,
    body: { items: page.items.map(toMovement), nextCursor: page.next === null ? null : Buffer.from(String(page.next)).toString('base64url') },
  };
};

export const putSubAccountPermissions: Handler<'putSubAccountPermissions'> = async (call) => {
  const sellerId = sellerOf(principalOf(call));
  const sub = await setSubAccountPermission(call.em, sellerId, call.params.id, call.body.payout, call.deps.clock.now());
  return { status: 200, body: { id: sub.subAccountId, sellerId: sub.sellerId, permissions: { payout: sub.canPayout } } };
};
