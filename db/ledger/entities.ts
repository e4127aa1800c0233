/** The ledger's entries: one per movement of money, keyed by the movement. */
import { defineEntity, type InferEntity } from '@mikro-orm/core';
import { fen, id, orNull, p, serial, time } from '../columns';

export type MovementKind = 'RECHARGE' | 'HOLD' | 'RELEASE' | 'PAYOUT' | 'WITHDRAWAL' | 'WITHDRAWAL_VOID';

export const LedgerEntry = defineEntity({
  name: 'LedgerEntry',
  tableName: 'ledger_entries',
  properties: {
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
  },
});
export type LedgerEntry = InferEntity<typeof LedgerEntry>;

export const LEDGER_ENTITIES = [LedgerEntry];
