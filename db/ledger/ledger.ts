/**
 * The double-entry ledger. Every movement debits one account and credits another by the same
 * amount, is keyed by a unique movement key (payout id, recharge id, withdrawal id), and updates the
 * seller's balances in the same transaction under the seller's row lock. A retried activity finds
 * its movement already there and moves nothing twice.
 *
 * Vocabulary (TigerBeetle's two-phase transfers): a payout's amount is *held* (pending), then
 * *posted* to the buyer or *released* (voided) back to available.
 */
import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/mysql';
import { DomainError } from '../../domain/errors';
import { assertFen, type Fen } from '../../domain/money';
import type { Statement } from '../beginless';
import { LedgerEntry, type MovementKind } from './entities';
import { SellerAccount } from '../reserve/entities';

/** The memo that payout movements carry on the seller's statement (SPEC §5.4). */
export const PAYOUT_MEMO = '小额打款';

/** Platform-side accounts: no running-balance row (it would serialise all sellers); derived from entries. */
export const PLATFORM_ACCOUNTS = Object.freeze({
  /** Money withheld from sellers' payment accounts into the platform's custody. */
  funding: 'platform:funding',
  /** Money paid out to buyers. */
  buyers: 'platform:buyers',
  /** Money paid back to sellers' payment accounts. */
  withdrawals: 'platform:withdrawals',
});

export const sellerAvailable = (sellerId: string) => `seller:${sellerId}:available`;
export const sellerHeld = (sellerId: string) => `seller:${sellerId}:held`;

/**
 * Each seller-scoped write begins by locking the seller's row. It runs at READ COMMITTED, every
 * connection's isolation level (db/orm.ts), so that what it reads after the lock is current.
 */
export async function lockSellerAccount(tx: EntityManager, sellerId: string): Promise<SellerAccount | null> {
  return tx.findOne(SellerAccount, { sellerId }, { lockMode: LockMode.PESSIMISTIC_WRITE, refresh: true });
}

interface Movement {
  key: string;
  kind: MovementKind;
  amountFen: Fen;
  payoutId?: string;
  memo: string;
  at: Date;
  /**
   * The caller knows the key is unused from state written in the same transaction as every
   * movement under it (a payout's status): the lookup is skipped, and the unique key on
   * movement_key still refuses a second movement.
   */
  keyKnownUnused?: boolean;
}

/** A movement's amount: whole fen, at least one. */
function assertMovable(movement: Movement): void {
  assertFen(movement.amountFen, 'movement amount');
  if (movement.amountFen === 0) throw new TypeError('a movement moves at least one fen');
}

/** Which balance each kind of movement takes from and gives to. */
export const MOVES: Record<MovementKind, { from: 'external' | 'available' | 'held'; to: 'external' | 'available' | 'held' }> = {
  RECHARGE: { from: 'external', to: 'available' },
  HOLD: { from: 'available', to: 'held' },
  RELEASE: { from: 'held', to: 'available' },
  PAYOUT: { from: 'held', to: 'external' },
  WITHDRAWAL: { from: 'available', to: 'external' },
  /** A withdrawal the provider refused: the amount comes back to available. */
  WITHDRAWAL_VOID: { from: 'external', to: 'available' },
};

function accountName(sellerId: string, side: 'available' | 'held' | 'external', kind: MovementKind): string {
  if (side === 'available') return sellerAvailable(sellerId);
  if (side === 'held') return sellerHeld(sellerId);
  return externalAccount(kind);
}

/** The platform account on the outside of a movement (reconciliation checks entries against it). */
export function externalAccount(kind: MovementKind): string {
  if (kind === 'RECHARGE') return PLATFORM_ACCOUNTS.funding;
  return kind === 'PAYOUT' ? PLATFORM_ACCOUNTS.buyers : PLATFORM_ACCOUNTS.withdrawals;
}

/**
 * Applies one movement to a locked seller account and records its entry. Returns false, moving
 * nothing, when the movement key was already recorded. Refuses to take any balance below zero.
 */
export async function move(tx: EntityManager, account: SellerAccount, movement: Movement): Promise<boolean> {
  assertMovable(movement);
  if (!movement.keyKnownUnused && (await tx.count(LedgerEntry, { movementKey: movement.key }))) return false;
  const { from, to } = MOVES[movement.kind];
  if (from !== 'external') {
    const balance = from === 'available' ? account.availableFen : account.heldFen;
    if (balance < movement.amountFen) {
      throw new DomainError('INSUFFICIENT_RESERVE', `${from} balance ${balance} cannot cover ${movement.amountFen}`, {
        available: account.availableFen,
        asked: movement.amountFen,
      });
    }
    if (from === 'available') account.availableFen -= movement.amountFen;
    else account.heldFen -= movement.amountFen;
  }
  if (to === 'available') account.availableFen += movement.amountFen;
  else if (to === 'held') account.heldFen += movement.amountFen;
  account.updatedAt = movement.at;
  tx.create(LedgerEntry, {
    movementKey: movement.key,
    sellerId: account.sellerId,
    kind: movement.kind,
    debitAccount: accountName(account.sellerId, from, movement.kind),
    creditAccount: accountName(account.sellerId, to, movement.kind),
    amountFen: movement.amountFen,
    availableAfterFen: account.availableFen,
    heldAfterFen: account.heldFen,
    payoutId: movement.payoutId ?? null,
    memo: movement.memo,
    createdAt: movement.at,
  });
  return true;
}

/** A balance's column on seller_accounts. */
const BALANCE_COLUMN = { available: 'available_fen', held: 'held_fen' } as const;

/**
 * The first half of a movement in hand-written SQL (issue 18: the posting's, then the hold's), as a
 * statement for a packet (db/beginless.ts `sendTogether`): the seller's balances moved in one
 * UPDATE, which takes the seller's row lock as every seller-scoped write's first statement does,
 * instead of a locking read and an UPDATE after it. It affects no row, moving nothing, when the
 * seller has no account or the balance taken from cannot cover the amount: the caller checks for
 * one row and otherwise rolls back. `entryStatement` records the movement after it.
 *
 * `short: 'fails'`: a balance that cannot cover the amount fails the statement instead (the table's
 * `seller_accounts_available_nonnegative` and `_held_nonnegative` checks), for a packet that ends in
 * its COMMIT, where a row not moved could no longer roll back (the reservation's, which holds the
 * seller's row locked and so knows it exists).
 */
export function balancesStatement(sellerId: string, movement: Movement, { short = 'moves no row' }: { short?: 'moves no row' | 'fails' } = {}): Statement {
  assertMovable(movement);
  const { from, to } = MOVES[movement.kind];
  const sets: string[] = [];
  const setParams: unknown[] = [];
  if (from !== 'external') {
    sets.push(`${BALANCE_COLUMN[from]} = ${BALANCE_COLUMN[from]} - ?`);
    setParams.push(movement.amountFen);
  }
  if (to !== 'external') {
    sets.push(`${BALANCE_COLUMN[to]} = ${BALANCE_COLUMN[to]} + ?`);
    setParams.push(movement.amountFen);
  }
  const guarded = from !== 'external' && short === 'moves no row';
  return {
    sql: `update seller_accounts set ${sets.join(', ')}, updated_at = ? where seller_id = ?${guarded ? ` and ${BALANCE_COLUMN[from]} >= ?` : ''}`,
    params: [...setParams, movement.at, sellerId, ...(guarded ? [movement.amountFen] : [])],
  };
}

/**
 * The second half (after `balancesStatement`, in its transaction): the movement's entry, its
 * balances after read from the row the UPDATE left, in one INSERT ... SELECT. It affects no row
 * when the seller has no account (the caller checks for one); the unique movement key still
 * refuses a second entry.
 */
export function entryStatement(sellerId: string, movement: Movement): Statement {
  const { from, to } = MOVES[movement.kind];
  return {
    sql: `insert into ledger_entries (movement_key, seller_id, kind, debit_account, credit_account, amount_fen, available_after_fen, held_after_fen, payout_id, memo, created_at)
     select ?, a.seller_id, ?, ?, ?, ?, a.available_fen, a.held_fen, ?, ?, ? from seller_accounts a where a.seller_id = ?`,
    params: [
      movement.key, movement.kind, accountName(sellerId, from, movement.kind), accountName(sellerId, to, movement.kind), movement.amountFen,
      movement.payoutId ?? null, movement.memo, movement.at, sellerId,
    ],
  };
}

/** The movement recorded under a key (a recharge or withdrawal its workflow has settled). */
export function movementByKey(em: EntityManager, movementKey: string): Promise<LedgerEntry> {
  return em.findOneOrFail(LedgerEntry, { movementKey });
}
