/** The ledger's entries: one per movement of money, keyed by the movement. */
import type { InferEntity } from '@mikro-orm/core';
import { fen, id, orNull, p, serial, table, time } from '../columns';

export type MovementKind = 'RECHARGE' | 'HOLD' | 'RELEASE' | 'PAYOUT' | 'WITHDRAWAL' | 'WITHDRAWAL_VOID';

export const LedgerEntry = table('LedgerEntry', 'ledger_entries', {
  id: serial(),
  movementKey: p.string(),
  sellerId: id(),
  kind: p.string().$type<MovementKind>(),
  debitAccount: p.string(),
  creditAccount: p.string(),
  amountFen: fen(),
  availableAfterFen: fen(),
  heldAfterFen: fen(),
  payoutId: orNull(id()),
  memo: p.string(),
  createdAt: time(),
});
export type LedgerEntry = InferEntity<typeof LedgerEntry>;

export const LEDGER_ENTITIES = [LedgerEntry];
