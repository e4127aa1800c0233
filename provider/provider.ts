/**
 * The payment provider port (SPEC §9). Every call that moves money takes the caller's idempotency
 * key; calling again with the same key returns the first outcome and moves nothing.
 */
import type { Fen } from '../domain/money';
import type { ProviderMovementKind, StatementPage, StatementQuery } from '../domain/provider-statement';

/** A succeeded call carries the provider's own id of the transaction when the provider gives one. */
export type ProviderOutcome = { status: 'SUCCEEDED'; transactionId?: string } | { status: 'REFUSED'; code: string };

export interface ProviderTransaction {
  idempotencyKey: string;
  kind: ProviderMovementKind;
  sellerId: string;
  counterpartyId: string | null;
  amountFen: Fen;
  status: 'SUCCEEDED' | 'REFUSED';
  refusalCode: string | null;
  createdAt: Date;
  transactionId: string | null;
  memo: string | null;
}

export interface PaymentProvider {
  /** Signs the withholding agreement; a refused auth code gives `{ status: 'REFUSED' }`. */
  signAgreement(sellerId: string, authCode: string): Promise<{ status: 'SIGNED'; agreementId: string } | { status: 'REFUSED'; code: string }>;
  /** Takes money from the seller's payment account under the agreement (recharge, automatic top-up); `memo` is what the seller's bill shows. */
  withhold(key: string, sellerId: string, amountFen: Fen, memo?: string): Promise<ProviderOutcome>;
  /** Pays a buyer on the seller's behalf (a confirmed payout); `memo` is what the buyer's bill shows. */
  transfer(key: string, sellerId: string, buyerId: string, amountFen: Fen, memo: string): Promise<ProviderOutcome>;
  /** Pays money back to the seller's payment account (withdrawal). */
  payBack(key: string, sellerId: string, amountFen: Fen): Promise<ProviderOutcome>;
  /** What the provider recorded under a key, if anything: how a timed-out call is resolved. */
  findTransaction(key: string): Promise<ProviderTransaction | null>;
  /** The provider's books, page by page: what reconciliation compares with the ledger. */
  statement(query: StatementQuery): Promise<StatementPage>;
}

/** A transient failure (network, timeout, 5xx): the call may or may not have taken effect; retry with the same key. */
export class ProviderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProviderUnavailableError';
  }
}

/**
 * Calls the provider and, when the call fails transiently (it may or may not have taken effect),
 * asks the provider what it recorded under the key. Returns null when that is still unknown:
 * the caller retries later with the same key, which can never move money twice.
 */
export async function callByKey(provider: PaymentProvider, key: string, call: () => Promise<ProviderOutcome>): Promise<ProviderOutcome | null> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ProviderUnavailableError)) throw err;
    const recorded = await provider.findTransaction(key).catch(() => null);
    if (!recorded) return null;
    return recorded.status === 'SUCCEEDED'
      ? { status: 'SUCCEEDED', ...(recorded.transactionId ? { transactionId: recorded.transactionId } : {}) }
      : { status: 'REFUSED', code: recorded.refusalCode ?? 'REFUSED' };
  }
}
