/**
 * Sellers' own money movements during the fault run, through the HTTP contract only: while the
 * payouts' load lasts, sellers recharge their reserve and withdraw the same amount back (so the
 * payouts never lack the money they were funded with), and now and then ask to withdraw more than
 * they have (a refusal, 422). Every request carries an Idempotency-Key and goes again with the same
 * key on a 5xx (503 when no result came in time), a 429 or a lost connection, until it has a final
 * answer or the run's time limit comes. The API is killed while some of them are on the wire
 * (faults.ts), and workers, Temporal and MariaDB go down around them as around the payouts.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Orm } from '../db/orm';
import type { Market, Seller } from '../test/support/http-market';
import { backoffMs, type JsonClient, type JsonResponse } from '../test/support/json-client';

/** Lanes of recharge-then-withdraw, each pausing up to PAUSE_MS_MAX between two. */
export const WITHDRAWAL_LANES = 2;
const PAUSE_MS_MAX = 1_500;
const MOVE_FEN_MAX = 10_000;
/** PositiveFen's maximum, far above any seller's available balance: always refused. */
const BEYOND_AVAILABLE_FEN = 1_000_000_000_000;
/** Every this many moves, one (the second, so that even a short run has one) asks beyond available. */
const BEYOND_AVAILABLE_EVERY = 5;
/** Problems listed in the report, at most. */
const PROBLEMS_MAX = 20;

export interface TrackedWithdrawal {
  sellerId: string;
  amountFen: number;
  /** Asked beyond available on purpose. */
  beyondAvailable: boolean;
  /** The final answer's status (201, 422, or another the contract does not allow); 0 when none came in time. */
  status: number;
  /** The Movement's id when answered 201: the ledger's movement key and the provider's. */
  movementId: string | null;
  attempts: number;
}

type Answer = JsonResponse & { attempts: number };

export class SellerMoves {
  readonly withdrawals: TrackedWithdrawal[] = [];
  recharges = { sent: 0, answered: 0 };
  /** Withdrawal requests sent and not yet answered (one attempt each). */
  inFlight = 0;
  /** Settles once every lane has ended. */
  promise: Promise<void> = Promise.resolve();
  private sentWaiters: Array<() => void> = [];
  private next = 0;

  constructor(
    private readonly client: JsonClient,
    private readonly market: Market,
    private readonly deadline: number,
  ) {}

  /** Runs the lanes while `loading()` holds; the operation under way when it stops goes on until answered. */
  start(loading: () => boolean): void {
    const lane = async () => {
      while (loading()) {
        await this.oneMove(this.next++);
        await sleep(Math.random() * PAUSE_MS_MAX);
      }
    };
    this.promise = Promise.all(Array.from({ length: WITHDRAWAL_LANES }, lane)).then(() => undefined);
  }

  /** Settles true when the next withdrawal attempt goes on the wire, false after `ms` without one. */
  nextWithdrawalSent(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.sentWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private async oneMove(n: number): Promise<void> {
    const seller = this.market.sellers[n % this.market.sellers.length];
    if (n % BEYOND_AVAILABLE_EVERY === 1) return this.withdraw(seller, n, BEYOND_AVAILABLE_FEN);
    const amountFen = 1 + Math.floor(Math.random() * MOVE_FEN_MAX);
    this.recharges.sent++;
    const recharged = await this.untilAnswered(seller, '/v1/payout-account/recharges', `chaos-move-${n}-recharge`, amountFen);
    if (recharged.status !== 0) this.recharges.answered++;
    // Only money recharged first goes back out, so that the payouts' funding stays whole.
    if (recharged.status === 201) await this.withdraw(seller, n, amountFen);
  }

  private async withdraw(seller: Seller, n: number, amountFen: number): Promise<void> {
    const tracked: TrackedWithdrawal = {
      sellerId: seller.sellerId, amountFen, beyondAvailable: amountFen === BEYOND_AVAILABLE_FEN, status: 0, movementId: null, attempts: 0,
    };
    this.withdrawals.push(tracked);
    const answer = await this.untilAnswered(seller, '/v1/payout-account/withdrawals', `chaos-move-${n}-withdrawal`, amountFen, true);
    tracked.status = answer.status;
    tracked.attempts = answer.attempts;
    if (answer.status === 201) tracked.movementId = String((answer.body as { id?: unknown } | null)?.id ?? '');
  }

  /**
   * Sends until an answer that is not a transient failure arrives or the time limit comes (status
   * 0 then), each time with the same key, as the contract asks.
   */
  private async untilAnswered(seller: Seller, path: string, key: string, amountFen: number, withdrawal = false): Promise<Answer> {
    for (let attempts = 1; ; attempts++) {
      if (withdrawal) {
        this.inFlight++;
        for (const wake of this.sentWaiters.splice(0)) wake();
      }
      const answer = await this.client
        .request('POST', path, { token: seller.operatorTokens[0], body: { amount: amountFen }, headers: { 'idempotency-key': key } })
        .catch(() => undefined)
        .finally(() => { if (withdrawal) this.inFlight--; });
      if (answer && answer.status < 500 && answer.status !== 429) return { ...answer, attempts };
      if (Date.now() >= this.deadline) return { status: 0, body: null, headers: {}, attempts };
      await sleep(backoffMs(attempts));
    }
  }
}

/**
 * What must hold of the withdrawals, read from the ledger and the sandbox provider's books: every
 * one answered 201 has exactly one WITHDRAWAL entry and one succeeded pay-back under its movement's
 * id, for its amount; and per seller whose withdrawals were all answered, the net withdrawn (entries
 * less voids) and the pay-backs are exactly the 201s, so a refused one left no net debit and no
 * pay-back.
 */
export async function verifyWithdrawals(orm: Orm, sellerIds: string[], moves: SellerMoves) {
  const connection = orm.em.fork().getConnection();
  const inSellers = `(${sellerIds.map(() => '?').join(',')})`;
  type Row = { seller_id: string; movement_key: string; kind: string; amount_fen: string | number };
  const entries: Row[] = await connection.execute(
    `select seller_id, movement_key, kind, amount_fen from ledger_entries where kind in ('WITHDRAWAL', 'WITHDRAWAL_VOID') and seller_id in ${inSellers}`,
    sellerIds,
  );
  const paybacks: Row[] = await connection.execute(
    `select seller_id, idempotency_key as movement_key, kind, amount_fen from sandbox_transactions
     where kind = 'PAYBACK' and status = 'SUCCEEDED' and seller_id in ${inSellers}`,
    sellerIds,
  );
  const tracked = moves.withdrawals;
  const problems: string[] = [];
  for (const w of tracked.filter((t) => t.status === 201)) {
    const debits = entries.filter((e) => e.kind === 'WITHDRAWAL' && e.movement_key === w.movementId);
    const paid = paybacks.filter((p) => p.movement_key === w.movementId);
    if (debits.length !== 1 || Number(debits[0].amount_fen) !== w.amountFen) problems.push(`${w.movementId}: ${debits.length} debits for a 201 of ${w.amountFen}`);
    if (paid.length !== 1 || Number(paid[0].amount_fen) !== w.amountFen) problems.push(`${w.movementId}: ${paid.length} pay-backs for a 201 of ${w.amountFen}`);
  }
  const sum = (rows: Array<{ amount_fen: string | number }>) => rows.reduce((s, r) => s + Number(r.amount_fen), 0);
  for (const sellerId of sellerIds) {
    const own = tracked.filter((t) => t.sellerId === sellerId);
    if (own.some((t) => t.status !== 201 && t.status !== 422)) continue; // withdrawalsAnswered says so
    const paidFen = own.filter((t) => t.status === 201).reduce((s, t) => s + t.amountFen, 0);
    const mine = entries.filter((e) => e.seller_id === sellerId);
    const netFen = sum(mine.filter((e) => e.kind === 'WITHDRAWAL')) - sum(mine.filter((e) => e.kind === 'WITHDRAWAL_VOID'));
    const paidBack = paybacks.filter((p) => p.seller_id === sellerId);
    if (netFen !== paidFen) problems.push(`${sellerId}: net withdrawn ${netFen} but the 201s add up to ${paidFen}`);
    if (paidBack.length !== own.filter((t) => t.status === 201).length || sum(paidBack) !== paidFen) {
      problems.push(`${sellerId}: ${paidBack.length} pay-backs of ${sum(paidBack)} for ${paidFen} answered 201`);
    }
  }
  return {
    withdrawals: {
      sent: tracked.length,
      paid: tracked.filter((t) => t.status === 201).length,
      refused: tracked.filter((t) => t.status === 422).length,
      refusedBeyondAvailable: tracked.filter((t) => t.status === 422 && t.beyondAvailable).length,
      unanswered: tracked.filter((t) => t.status === 0).length,
      /** Answered with a status the contract does not give (neither 201 nor 422). */
      otherAnswers: tracked.filter((t) => t.status !== 0 && t.status !== 201 && t.status !== 422).map((t) => t.status),
      /** Withdrawals that needed more than one attempt (a 503, a 5xx or a lost connection first). */
      retried: tracked.filter((t) => t.attempts > 1).length,
      attemptsMax: Math.max(0, ...tracked.map((t) => t.attempts)),
      recharges: { ...moves.recharges },
      problems: problems.slice(0, PROBLEMS_MAX),
    },
    lostWithdrawals: problems.length,
  };
}
