/**
 * What a payment provider's statement says (SPEC §9): one line per movement it booked, named by the
 * caller's idempotency key, which is also the ledger movement's key. Reconciliation compares these
 * lines with the ledger, so it reads the provider's books through the port (provider/provider.ts)
 * and never the provider's own tables: the sandbox answers from its books, a real provider would
 * answer from its statement API.
 */
import type { Fen } from './money';

/** Withholding (recharge, automatic top-up), transfer (a paid payout), pay-back (withdrawal). */
export type ProviderMovementKind = 'WITHHOLD' | 'TRANSFER' | 'PAYBACK';

export interface StatementLine {
  /** The caller's idempotency key. */
  key: string;
  sellerId: string;
  kind: ProviderMovementKind;
  amountFen: Fen;
  status: 'SUCCEEDED' | 'REFUSED';
  /** When the provider booked it. */
  at: Date;
}

export interface StatementQuery {
  /** One seller's movements, or every seller's when null. */
  sellerId: string | null;
  /** The previous page's `nextCursor`, opaque to the caller; null for the first page. */
  cursor: string | null;
  /** Lines per page, 1 to STATEMENT_PAGE_MAX. */
  limit: number;
}

/** Lines in the order the provider booked them; `nextCursor` is null on the last page. */
export interface StatementPage {
  lines: StatementLine[];
  nextCursor: string | null;
}

/** A statement page holds at most this many lines. */
export const STATEMENT_PAGE_MAX = 1_000;
