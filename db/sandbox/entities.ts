/**
 * The sandbox payment provider's own books (provider/sandbox.ts): what it believes it signed and
 * moved, keyed by the caller's idempotency key, so that reconciliation compares two records.
 */
import type { InferEntity } from '@mikro-orm/core';
import { fen, id, orNull, p, serial, table, time } from '../columns';

export const SandboxAgreement = table('SandboxAgreement', 'sandbox_agreements', {
  agreementId: p.string().primary(),
  sellerId: id(),
  signedAt: time(),
});
export type SandboxAgreement = InferEntity<typeof SandboxAgreement>;

export type SandboxKind = 'WITHHOLD' | 'TRANSFER' | 'PAYBACK';

export const SandboxTransaction = table('SandboxTransaction', 'sandbox_transactions', {
  id: serial(),
  idempotencyKey: p.string(),
  kind: p.string().$type<SandboxKind>(),
  sellerId: id(),
  counterpartyId: orNull(id()),
  amountFen: fen(),
  status: p.string().$type<'SUCCEEDED' | 'REFUSED'>(),
  refusalCode: orNull(p.string()),
  createdAt: time(),
  /** The provider's own id of the transaction, as a statement shows it. */
  transactionId: orNull(p.string()),
  /** The text on the payee's bill (`小额打款` on a payout's transfer). */
  memo: orNull(p.string()),
});
export type SandboxTransaction = InferEntity<typeof SandboxTransaction>;

export const SANDBOX_ENTITIES = [SandboxAgreement, SandboxTransaction];
